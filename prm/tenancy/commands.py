"""Base class for management commands that act inside one tenant (`--tenant SLUG`),
with its schema and its time zone (prm.tenancy.clock) active."""

import abc
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context

from .clock import tenant_zone
from .models import Tenant
from .selectors import tenant_get_by_slug


def validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


class TenantCommand(BaseCommand, abc.ABC):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant to act in")

    def handle(self, *args: Any, **options: Any) -> None:
        # Popped: handle_tenant() gets the Tenant itself as its `tenant` argument.
        slug = options.pop("tenant")
        tenant = tenant_get_by_slug(slug=slug)
        if tenant is None:
            raise CommandError(f'There is no tenant "{slug}".')
        with tenant_context(tenant), timezone.override(tenant_zone()):
            try:
                self.handle_tenant(tenant, *args, **options)
            except ValidationError as error:
                raise CommandError(validation_message(error)) from error

    @abc.abstractmethod
    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        """What the command does, already inside the tenant's schema."""
