from typing import Any

from django.core.management.base import CommandParser

from prm.accounts.models import Scope
from prm.accounts.services import api_key_create
from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant


class Command(TenantCommand):
    help = "Create an API key of a tenant and print it once (it is stored only hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            default="read",
            help=f"comma-separated, of {','.join(Scope.values)} "
            "(webhooks: manage webhook subscriptions and read their delivery log)",
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            metavar="N",
            help="requests a minute for this key (default: the tenant's default)",
        )

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        _api_key, key = api_key_create(
            name=options["name"], scopes=scopes, rate_limit=options["rate_limit"]
        )
        # The key alone on stdout, so scripts can capture it.
        self.stdout.write(key)
