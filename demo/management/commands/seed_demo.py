from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.services import demo_logins, demo_seed
from prm.tenancy.commands import validation_message
from prm.tenancy.services import ProvisioningError, host_for


class Command(BaseCommand):
    help = "Create the demo tenant with realistic data, or top up its demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="demo", metavar="SLUG")
        parser.add_argument("--name", default="Demo Vendor Inc.")
        parser.add_argument(
            "--print-logins", action="store_true", help="print only the demo logins"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = demo_seed(slug=options["tenant"], name=options["name"])
        except ProvisioningError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(validation_message(error)) from error
        if options["print_logins"]:
            logins = demo_logins(tenant.slug)
            width = max(len(email) for _role, email, _password, _name in logins)
            for role, email, password, _name in logins:
                self.stdout.write(f"{role:<8} {email:<{width}}  password {password}")
        else:
            self.stdout.write(
                f"Demo tenant {tenant.slug} is ready at http://{host_for(tenant.slug)}/"
            )
