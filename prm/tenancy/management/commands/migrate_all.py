from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from prm.tenancy.services import public_tenant_ensure, template_ensure


class Command(BaseCommand):
    help = (
        "Migrate everything: the public schema, then the tenant template and every "
        "tenant, several tenants at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--executor", default="multiprocessing", choices=["standard", "multiprocessing"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        public_tenant_ensure()
        # A missing template is created fully migrated; an existing one is migrated
        # below with the tenants (it is a tenant row too).
        template_ensure()
        call_command(
            "migrate_schemas",
            tenant=True,
            interactive=False,
            executor=options["executor"],
            verbosity=verbosity,
        )
