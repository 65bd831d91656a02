from typing import Any

from django.core.management.base import CommandError, CommandParser

from prm.accounts.selectors import api_key_list
from prm.accounts.services import api_key_update
from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant
from prm.tenancy.services import tenant_rate_limit_set


class Command(TenantCommand):
    help = (
        "Set the API rate limit, in requests a minute, of a tenant's keys (its default) "
        "or, with --key, of one key; `default` goes back to the next level's limit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("limit", help="requests a minute, or `default`")
        parser.add_argument("--key", metavar="PREFIX", help="the key's prefix (prm_PREFIX_...)")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        text = options["limit"].strip().lower()
        if text == "default":
            limit = None
        elif text.isdigit():
            limit = int(text)
        else:
            raise CommandError(f'"{options["limit"]}" is not a number of requests or `default`.')
        if options["key"]:
            api_key = api_key_list().filter(prefix=options["key"]).first()
            if api_key is None:
                raise CommandError(f'Tenant {tenant.slug} has no API key "{options["key"]}".')
            api_key_update(api_key=api_key, rate_limit=limit)
            self.stdout.write(
                f"Key {api_key.prefix} of {tenant.slug}: "
                + (f"{limit} requests a minute." if limit else "the tenant's default.")
            )
            return
        tenant_rate_limit_set(tenant=tenant, api_rate_limit=limit)
        self.stdout.write(
            f"Keys of {tenant.slug} without a limit of their own: "
            + (f"{limit} requests a minute." if limit else "the platform's default.")
        )
