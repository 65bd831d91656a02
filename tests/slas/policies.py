"""Policies the SLA tests share: a Monday-Friday 09:00-17:00 support calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slas.models import SlaPolicy
from slas.services import sla_policy_save

UTC = ZoneInfo("UTC")
MONDAY_TO_FRIDAY = ["mon", "tue", "wed", "thu", "fri"]

# Friday 20 November 2026, 16:00 UTC: one business hour left that week.
FRIDAY_4PM = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


def weekday_policy(slug: str = "weekdays", **fields: Any) -> SlaPolicy:
    """A policy on a Monday-Friday 09:00-17:00 UTC calendar: first response in 2
    business hours, resolution in 16; `fields` change or add any field."""
    data = {
        "slug": slug,
        "name": f"Weekdays ({slug})",
        "time_zone": "UTC",
        "working_days": MONDAY_TO_FRIDAY,
        "working_hours_start": "09:00",
        "working_hours_end": "17:00",
        "first_response_hours": "2",
        "resolution_hours": "16",
        **fields,
    }
    policy, _changed = sla_policy_save(data=data, actor=None)
    return policy
