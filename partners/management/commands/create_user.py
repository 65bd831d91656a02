"""create_user: a user of one tenant with a role; a partner user names its partner.

Here, not in prm.accounts, because a partner user is linked to a partner, and the
platform imports no domain app (DESIGN.md "Layers"). The command line is a contract:
`create_user --tenant SLUG --email E --password P --role admin|manager|partner
[--partner REF]`.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from partners.services import partner_user_create
from prm.accounts.models import Role
from prm.accounts.services import user_create
from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant


class Command(TenantCommand):
    help = "Create a user of a tenant with a role (partner users name their partner)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--role", required=True, choices=[Role.ADMIN, Role.MANAGER, Role.PARTNER]
        )
        parser.add_argument("--partner", metavar="REF", help="the partner of a partner user")
        parser.add_argument("--full-name", default="")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        role, partner = options["role"], options["partner"]
        if role == Role.PARTNER and not partner:
            raise CommandError("A partner user needs --partner REF.")
        if role != Role.PARTNER and partner:
            raise CommandError("--partner goes only with --role partner.")
        if role == Role.PARTNER:
            user = partner_user_create(
                email=options["email"],
                password=options["password"],
                partner_ref=partner,
                full_name=options["full_name"],
            )
        else:
            user = user_create(
                email=options["email"],
                password=options["password"],
                role=role,
                full_name=options["full_name"],
            )
        self.stdout.write(f"Created {user.role} {user.email} in {tenant.slug}.")
