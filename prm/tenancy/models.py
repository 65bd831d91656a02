"""Tenants (vendors) and the host names that route to them; public schema only."""

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
