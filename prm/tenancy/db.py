"""The database connection as django-tenants' backend, typed as such.

`django.db.connection` is typed as Django's base wrapper, which lacks the schema
methods django-tenants' backend adds; this accessor gives type-checked code the
real type.
"""

from typing import cast

from django.db import connection
from django_tenants.postgresql_backend.base import DatabaseWrapper


def tenant_connection() -> DatabaseWrapper:
    return cast(DatabaseWrapper, connection)


def current_schema() -> str:
    return str(tenant_connection().schema_name)


def current_time_zone() -> str:
    """The time zone of the tenant the connection is set to (its days are days there)."""
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "time_zone", None) or "UTC")


def current_currency() -> str:
    """The ISO 4217 code of the currency of the tenant the connection is set to."""
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "currency", None) or "USD")


def current_locale() -> str:
    """The locale in which the tenant the connection is set to reads numbers and dates."""
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "locale", None) or "en_US")
