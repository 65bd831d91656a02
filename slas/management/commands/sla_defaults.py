from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import CommandError, CommandParser

from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant
from slas.services import sla_defaults_apply


class Command(TenantCommand):
    help = (
        "Set the tenant's default SLA policy from a JSON or YAML file with the API's field "
        "names. The whole file is checked first; a bad file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", type=Path, help="a .json, .yaml or .yml file")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            # YAML is a superset of JSON, so one parser reads both.
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise CommandError(
                f"{path} is not valid JSON or YAML: {error}".splitlines()[0]
            ) from error
        policy, changed = sla_defaults_apply(data=data)
        if changed == ["created"]:
            self.stdout.write(
                f"Created policy {policy.slug} (version 1) as the default of {tenant.slug}."
            )
        elif changed:
            self.stdout.write(
                f"Policy {policy.slug} is now version {policy.version} and the default of "
                f"{tenant.slug}; changed: {', '.join(changed)}."
            )
        else:
            self.stdout.write(f"Policy {policy.slug} already matches the file; nothing changed.")
