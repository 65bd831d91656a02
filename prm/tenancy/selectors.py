"""Reads of tenants; these run in the public schema."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from .models import Domain, Tenant

HOST_CACHE_SECONDS = 300


def _host_cache_key(hostname: str) -> str:
    return f"tenancy:host:{hostname}"


def tenant_get_for_host(*, hostname: str) -> Tenant | None:
    """The tenant served at `hostname`, or None; cached, invalidated by signals."""
    hostname = hostname.lower()
    key = _host_cache_key(hostname)
    # The tenant itself is cached, not its id: re-reading the row on every request
    # would cost a query and a `SET search_path` to public per request.
    cached = cache.get(key)
    if isinstance(cached, Tenant):
        return cached
    if cached == 0:
        return None
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, tenant__is_template=False)
        .first()
    )
    # Unknown hosts are cached too (as 0), so probing random hosts costs no queries.
    cache.set(key, domain.tenant if domain else 0, HOST_CACHE_SECONDS)
    return domain.tenant if domain else None


def tenant_host_cache_clear(*, hostname: str) -> None:
    # Cache keys carry the schema; host keys are always the public schema's.
    with schema_context(get_public_schema_name()):
        cache.delete(_host_cache_key(hostname.lower()))


def tenant_list_served() -> QuerySet[Tenant]:
    """Every tenant that users reach: not the public schema, not the template."""
    with schema_context(get_public_schema_name()):
        return Tenant.objects.exclude(schema_name=get_public_schema_name()).filter(
            is_template=False
        )


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    with schema_context(get_public_schema_name()):
        return tenant_list_served().filter(slug=slug).first()


DEFAULT_PORTS = {"http": 80, "https": 443}


def tenant_base_url(*, tenant: Tenant) -> str:
    """The tenant's own address, `scheme://host[:port]`, for links that leave the request
    (mails, printed by commands): its primary domain with the configured
    PRM_PUBLIC_SCHEME and PRM_PUBLIC_PORT, never the Host header a client sent."""
    domain = Domain.objects.filter(tenant=tenant, is_primary=True).values_list("domain", flat=True)
    host = domain.first() or f"{tenant.slug}.{settings.PRM_BASE_DOMAIN}"
    scheme = settings.PRM_PUBLIC_SCHEME
    port = settings.PRM_PUBLIC_PORT
    if port and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"
