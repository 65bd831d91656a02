"""The tenant's clock: its time zone and its today. A tenant's days (rollups, "this
month", deadlines shown to people) are days in its own zone, whatever the server's."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

from .db import current_time_zone


def tenant_zone() -> ZoneInfo:
    """The time zone of the tenant the connection is set to (UTC outside a tenant)."""
    return ZoneInfo(current_time_zone())


def tenant_today() -> date:
    """Today in the tenant's time zone (the days rollups are kept in)."""
    return timezone.localdate(timezone=tenant_zone())
