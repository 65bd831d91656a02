import re
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import CommandError, CommandParser

from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant
from slas.services import sla_defaults_apply


class PolicyLoader(yaml.SafeLoader):
    """YAML with times of day as text: YAML 1.1 reads an unquoted 17:30 as the base-60
    number 1050, where a policy file means half past five."""


PolicyLoader.yaml_implicit_resolvers = {
    first: (
        [("tag:yaml.org,2002:str", re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$"))]
        if first.isdigit()
        else []
    )
    + resolvers
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path} is not UTF-8 text (byte {error.start + 1} is not); "
                "save it as UTF-8 and run the command again."
            ) from error
        try:
            # YAML is a superset of JSON, so one parser reads both.
            data = yaml.load(text, Loader=PolicyLoader)  # noqa: S506 (a SafeLoader subclass)
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
