"""Writes of tenants: provisioning by cloning the template schema.

A new tenant's schema is a copy of `settings.TENANT_BASE_SCHEMA` (Tenant.create_schema
through prm.tenancy.schema_copy; django-tenants' clone_schema only as a fallback), which
migrate_schemas keeps current like any tenant, so creating a tenant costs one schema
copy instead of replaying every migration (bench/provision.py).
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_tenants.utils import (
    get_public_schema_name,
    schema_context,
    schema_exists,
    tenant_context,
)

from prm.accounts.models import Role, User
from prm.accounts.services import rate_limit_errors, user_create

from . import options
from .models import RESERVED_SLUGS, Domain, Tenant, slug_validator
from .selectors import tenant_host_cache_clear
from .signals import tenant_provisioned, tenant_settings_changed

logger = logging.getLogger(__name__)

TEMPLATE_SLUG = "tenant-template"


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def host_for(slug: str) -> str:
    return f"{slug}.{settings.PRM_BASE_DOMAIN}"


def template_ensure() -> Tenant:
    """The template tenant, created (and migrated from scratch) if missing."""
    with schema_context(get_public_schema_name()):
        template = Tenant.objects.filter(schema_name=settings.TENANT_BASE_SCHEMA).first()
        if template is not None and schema_exists(template.schema_name):
            return template
        if template is None:
            template = Tenant(
                schema_name=settings.TENANT_BASE_SCHEMA,
                slug=TEMPLATE_SLUG,
                name="Template for new tenants",
                is_template=True,
            )
        # Saving creates the schema; with no template yet it migrates it fully.
        template.save(verbosity=0)
        return template


def public_tenant_ensure() -> Tenant:
    """The public tenant row and the base domain routed to it (the public site)."""
    with schema_context(get_public_schema_name()):
        public, _ = Tenant.objects.get_or_create(
            schema_name=get_public_schema_name(),
            defaults={"slug": "public", "name": "prm"},
        )
        Domain.objects.get_or_create(
            domain=settings.PRM_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        return public


@dataclass(frozen=True)
class TenantAdmin:
    email: str
    password: str


def tenant_validate(
    *,
    slug: str,
    name: str,
    admin: TenantAdmin | None = None,
    time_zone: str = "UTC",
    api_rate_limit: int | None = None,
) -> dict[str, list[str]]:
    """Every problem with the input, by field; empty when it can be provisioned."""
    errors: dict[str, list[str]] = {}
    if not options.is_time_zone(time_zone):
        errors["time_zone"] = [f'"{time_zone}" is not a time zone; use a name like Europe/Berlin.']
    if problems := rate_limit_errors(api_rate_limit):
        errors["api_rate_limit"] = problems
    try:
        slug_validator(slug)
    except ValidationError as error:
        errors.setdefault("slug", []).extend(error.messages)
    if slug in RESERVED_SLUGS:
        errors.setdefault("slug", []).append(f'"{slug}" is reserved; choose another slug.')
    if not errors.get("slug"):
        with schema_context(get_public_schema_name()):
            taken = (
                Tenant.objects.filter(slug=slug).exists()
                or Tenant.objects.filter(schema_name=schema_name_for(slug)).exists()
                or Domain.objects.filter(domain=host_for(slug)).exists()
            )
        if taken:
            errors.setdefault("slug", []).append(f'A tenant "{slug}" already exists.')
    if not name.strip():
        errors.setdefault("name", []).append("A tenant needs a name.")
    if admin is not None:
        try:
            validate_email(admin.email)
        except ValidationError:
            errors.setdefault("admin_email", []).append(
                f'"{admin.email}" is not an e-mail address.'
            )
        try:
            validate_password(admin.password, User(email=admin.email))
        except ValidationError as error:
            errors.setdefault("admin_password", []).extend(error.messages)
    return errors


class ProvisioningError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        )


def tenant_provision(
    *,
    slug: str,
    name: str,
    admin: TenantAdmin | None = None,
    time_zone: str = "UTC",
    currency: str = "USD",
    api_rate_limit: int | None = None,
) -> Tenant:
    """Create a tenant served at <slug>.<base domain>, with its admin user.

    Validates everything first; if anything fails after the schema exists, the schema
    and the rows are removed again, so a failed provisioning leaves nothing behind.
    The apps then set the new tenant up (the `tenant_provisioned` signal, sent inside
    its schema: the default SLA policy takes the tenant's time zone, for one).
    """
    errors = tenant_validate(
        slug=slug, name=name, admin=admin, time_zone=time_zone, api_rate_limit=api_rate_limit
    )
    if errors:
        raise ProvisioningError(errors)

    template_ensure()
    public_tenant_ensure()
    with schema_context(get_public_schema_name()):
        tenant = Tenant(
            schema_name=schema_name_for(slug),
            slug=slug,
            name=name.strip(),
            time_zone=time_zone,
            currency=currency,
            api_rate_limit=api_rate_limit,
        )
        try:
            tenant.save(verbosity=0)
            with transaction.atomic():
                Domain.objects.create(domain=host_for(slug), tenant=tenant, is_primary=True)
            with schema_context(tenant.schema_name), transaction.atomic():
                if admin is not None:
                    user_create(email=admin.email, password=admin.password, role=Role.ADMIN)
                tenant_provisioned.send(sender=Tenant, tenant=tenant)
        except Exception:
            tenant_delete(tenant=tenant)
            raise
    return tenant


def tenant_rate_limit_set(*, tenant: Tenant, api_rate_limit: int | None) -> Tenant:
    """Requests a minute for each of the tenant's keys without a limit of their own
    (None: the platform's default)."""
    if problems := rate_limit_errors(api_rate_limit):
        raise ValidationError({"api_rate_limit": problems})
    with schema_context(get_public_schema_name()):
        tenant.api_rate_limit = api_rate_limit
        # save() sends post_save, which clears the cached tenant of its hosts.
        tenant.save(update_fields=["api_rate_limit", "updated_at"])
    return tenant


# What the tenant's administrator may change (the organisation page, PATCH /api/v1/tenant/).
TENANT_SETTINGS = ("name", "time_zone", "currency", "locale")
NAME_MAX_LENGTH = 200


def tenant_settings_errors(fields: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with the given settings, by field; empty when all can be set."""
    errors: dict[str, list[str]] = {}
    for field in sorted(set(fields) - set(TENANT_SETTINGS)):
        errors[field] = [f"“{field}” is not a setting; use {', '.join(TENANT_SETTINGS)}."]
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name:
            errors["name"] = ["The organisation needs a name: people see it on every page."]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [f"Use at most {NAME_MAX_LENGTH} characters (it has {len(name)})."]
    if "time_zone" in fields and not options.is_time_zone(str(fields["time_zone"] or "").strip()):
        errors["time_zone"] = [
            f"“{fields['time_zone']}” is not a time zone; use a name like Europe/Berlin."
        ]
    currency = str(fields.get("currency") or "").strip().upper()
    if "currency" in fields and currency not in options.currencies():
        errors["currency"] = [
            f"“{fields['currency']}” is not an ISO 4217 currency code; use one like EUR or USD."
        ]
    if "locale" in fields and not options.is_locale(str(fields["locale"] or "").strip()):
        errors["locale"] = [
            f"“{fields['locale']}” is not a locale; use a language and country like en_GB or de_DE."
        ]
    return errors


def _tenant_save(
    tenant: Tenant,
    cleaned: dict[str, str],
    changed: list[str],
    previous: dict[str, Any],
    actor: User | None,
) -> None:
    with transaction.atomic():
        # Read fresh and locked: the tenant given may be a cached copy of the row.
        with schema_context(get_public_schema_name()):
            row = Tenant.objects.select_for_update().get(pk=tenant.pk)
            for field in changed:
                setattr(row, field, cleaned[field])
            # save() sends post_save, which clears the cached tenant of its hosts...
            row.save(update_fields=[*changed, "updated_at"])
            hosts = list(Domain.objects.filter(tenant=row).values_list("domain", flat=True))

        # ...and so does the commit, in case a request cached the old row meanwhile.
        def forget_hosts() -> None:
            for host in hosts:
                tenant_host_cache_clear(hostname=host)

        transaction.on_commit(forget_hosts)
        for field in [*changed, "updated_at"]:
            setattr(tenant, field, getattr(row, field))
        with tenant_context(tenant):
            tenant_settings_changed.send(
                sender=Tenant, tenant=tenant, changed=changed, previous=previous, actor=actor
            )


def tenant_update(*, tenant: Tenant, actor: User | None, **fields: Any) -> list[str]:
    """Change the organisation's settings (any of TENANT_SETTINGS); returns the names of
    those that changed. Validates them all first (ValidationError by field; nothing
    changes). The row lives in the public schema; the hosts' cached tenant is dropped
    when the change commits, so the next request of any worker reads the new zone,
    currency and locale (prm.tenancy.selectors.tenant_get_for_host). The apps hear of
    the change in the same transaction, in the tenant's schema (the signal
    `tenant_settings_changed`: slas moves the default policy's working hours to a new
    zone), so an error there leaves the tenant as it was."""
    if errors := tenant_settings_errors(fields):
        raise ValidationError(errors)
    cleaned = {field: str(value).strip() for field, value in fields.items()}
    if "currency" in cleaned:
        cleaned["currency"] = cleaned["currency"].upper()
    changed = [
        field
        for field in TENANT_SETTINGS
        if field in cleaned and cleaned[field] != getattr(tenant, field)
    ]
    if not changed:
        return []
    previous = {field: getattr(tenant, field) for field in [*changed, "updated_at"]}
    try:
        _tenant_save(tenant, cleaned, changed, previous, actor)
    except Exception:
        for field, value in previous.items():  # the caller's copy, as the row is again
            setattr(tenant, field, value)
        raise
    logger.info(
        "tenant %s: %s changed by %s",
        tenant.slug,
        ", ".join(changed),
        getattr(actor, "email", None) or "the platform",
    )
    return changed


def tenant_delete(*, tenant: Tenant) -> None:
    """Remove a tenant, its domains and its schema with all its data."""
    with schema_context(get_public_schema_name()):
        if tenant.pk is None:
            return
        Domain.objects.filter(tenant=tenant).delete()
        tenant.delete(force_drop=True)
