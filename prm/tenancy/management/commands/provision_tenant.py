from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prm.tenancy.selectors import tenant_base_url
from prm.tenancy.services import ProvisioningError, TenantAdmin, tenant_provision


class Command(BaseCommand):
    help = "Create a tenant served at SLUG.<PRM_BASE_DOMAIN>, optionally with its admin user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-password")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--currency", default="USD")
        parser.add_argument(
            "--api-rate-limit",
            type=int,
            metavar="N",
            help="requests a minute for each of the tenant's API keys "
            "(default: PRM_API_RATE_PER_KEY)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email, password = options["admin_email"], options["admin_password"]
        if bool(email) != bool(password):
            raise CommandError("Give both --admin-email and --admin-password, or neither.")
        try:
            tenant = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                admin=TenantAdmin(email=email, password=password) if email else None,
                time_zone=options["time_zone"],
                currency=options["currency"],
                api_rate_limit=options["api_rate_limit"],
            )
        except ProvisioningError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Tenant {tenant.slug} is served at {tenant_base_url(tenant=tenant)}/")
