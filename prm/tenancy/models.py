"""Tenants (vendors) and the host names that route to them; public schema only."""

import logging

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_creation_fakes_migrations, schema_exists

from .db import tenant_connection
from .schema_copy import Unsupported, schema_copy

logger = logging.getLogger(__name__)

SLUG_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"

# Names that would shadow the public site, the template schema or PostgreSQL's own.
RESERVED_SLUGS = frozenset(
    {
        "public",
        "www",
        "admin",
        "api",
        "static",
        "media",
        "mail",
        "smtp",
        "app",
        "tenant-template",
        "template",
        "pg-catalog",
        "information-schema",
        "healthz",
    }
)

slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use 2 to 40 lower-case letters, digits and hyphens, starting with a letter "
    "and not ending with a hyphen.",
)


class Tenant(TenantMixin):
    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    # The template schema new tenants are cloned from is a tenant row too, so that
    # migrate_schemas keeps it current; it has no domain and is never served.
    is_template = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, default="USD")
    # How its numbers, money and dates are written for people (a CLDR locale, e.g.
    # "en_US", "de_DE"); prm.web.formats reads it.
    locale = models.CharField(max_length=16, default="en_US")
    # Requests a minute for each of the tenant's API keys that has no limit of its own;
    # None: the platform's PRM_API_RATE_PER_KEY.
    api_rate_limit = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """A copy of the template by schema_copy() instead of django-tenants'
        clone_schema, which slows down as tenants are added and renames UNIQUE
        constraints (bench/README.md); and no `migrate_schemas --fake` after it: the
        copy brings django_migrations, and a migration the template lacks stays
        unapplied for migrate_all instead of being marked applied."""
        base = self.get_base_schema() if get_creation_fakes_migrations() else False
        if sync_schema and base and schema_exists(base):
            if check_if_exists and schema_exists(self.schema_name):
                return False
            tenant_connection().set_schema_to_public()
            try:
                schema_copy(source=str(base), target=self.schema_name)
            except Unsupported as error:
                logger.warning("%s: cloned with clone_schema, because %s", self.schema_name, error)
            else:
                return True
        return bool(
            super().create_schema(
                check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity
            )
        )


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
