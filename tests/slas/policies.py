"""Policies the SLA tests share (a Monday-Friday 09:00-17:00 support calendar) and a
committed overdue request built on one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from partners.models import Partner
from prm.accounts.models import Role, User
from slas import services
from slas.models import PartnerRequest, SlaPolicy
from slas.services import sla_policy_save
from tests.factories import PartnerFactory, UserFactory

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


def overdue_request(marker: str) -> PartnerRequest:
    """A committed partner (in the current schema) whose request, opened a month ago
    with a 1-hour first-response target and no resolution target, is long overdue."""
    manager = UserFactory.create(role=Role.MANAGER, email=f"sla-{marker}@example.com")
    policy = weekday_policy(f"sla-{marker}", first_response_hours="1", resolution_hours=None)
    partner = PartnerFactory.create(ref=f"sla-{marker}", sla=policy, channel_manager=manager)
    return services.partner_request_open(
        partner=partner,
        subject=f"Overdue {marker}",
        opened_at=timezone.now() - timedelta(days=30),
    )


def remove_overdue(marker: str) -> None:
    """Removes what overdue_request() committed in the current schema."""
    Partner.objects.filter(ref=f"sla-{marker}").delete()
    Partner.history.filter(ref=f"sla-{marker}").delete()
    SlaPolicy.objects.filter(slug=f"sla-{marker}").delete()
    User.objects.filter(email=f"sla-{marker}@example.com").delete()
