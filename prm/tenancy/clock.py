"""The tenant's clock: its time zone and its today. A tenant's days (rollups, "this
month", deadlines shown to people) are days in its own zone, whatever the server's.

The zone is also Django's active time zone while a tenant's work runs: its pages'
requests (prm.tenancy.middleware.TenantTimeZoneMiddleware), its tasks (prm.celery's
PrmTask) and its commands (prm.tenancy.commands.TenantCommand), so times shown to
people, forms and date lookups are in it too. Code that needs the tenant's day asks
tenant_today(), which does not depend on what is active."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from .db import current_schema, current_time_zone


def tenant_zone() -> ZoneInfo:
    """The time zone of the tenant the connection is set to (UTC outside a tenant,
    the public schema's included)."""
    if current_schema() == get_public_schema_name():
        return ZoneInfo("UTC")
    return ZoneInfo(current_time_zone())


def tenant_today(now: datetime | None = None) -> date:
    """The tenant's day at `now` (default: now): the days rollups are kept in."""
    return timezone.localdate(now, timezone=tenant_zone())
