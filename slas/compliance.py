"""Monthly compliance: each partner's month of activity (reporting's metrics)
against its monthly minimums (revenue, won orders, calls).

A month is judged against the policy version in force at its end, with the
partner's own overrides; a partner is judged only if it was active or an affiliate
at the month's end. Reads only: recording a missed minimum (once, whatever the number
of evaluations) is slas.services.events.sla_minimums_evaluate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from partners.models import Partner, PartnerStatus
from prm.tenancy.clock import tenant_today, tenant_zone
from reporting import metrics

from .models import PartnerSlaOverride, SlaPolicyVersion

# target field -> (actual's name, what people call it)
MINIMUMS = {
    "min_monthly_revenue": ("revenue", "revenue"),
    "min_monthly_won_orders": ("orders_won", "won orders"),
    "min_monthly_calls": ("calls", "calls"),
}
JUDGED_STATUSES = {PartnerStatus.ACTIVE, PartnerStatus.AFFILIATE}


@dataclass(frozen=True)
class MinimumReading:
    target: str
    label: str
    minimum: Decimal | int | None
    actual: Decimal | int
    met: bool | None  # None: no minimum set


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    next_first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, next_first - timedelta(days=1)


def _month_end_moment(month: date) -> datetime:
    _first, last = month_bounds(month)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=tenant_zone())


def actuals(*, partner_ids: list[int], month: date) -> dict[int, dict[str, Any]]:
    """Each partner's revenue, won orders and calls (made and received) in the month,
    summed by reporting's metrics (its rollups), zero for a partner without activity."""
    first, last = month_bounds(month)
    sums = metrics.partner_sums(
        partners=Partner.objects.filter(pk__in=partner_ids), period=metrics.Period(first, last)
    )
    result = {}
    for partner_id in partner_ids:
        values = dict(zip(metrics.SUMMED, sums.get(partner_id) or metrics.no_sums(), strict=True))
        result[partner_id] = {
            "revenue": values["revenue"],
            "orders_won": values["orders_won"],
            "calls": values["calls_made"] + values["calls_received"],
        }
    return result


def minimums_in_force(partner: Partner, month: date) -> dict[str, Any]:
    """The partner's monthly minimums as its policy stood at the month's end."""
    versions = SlaPolicyVersion.objects.filter(policy_id=partner.sla_id)
    # The last version before the month ended; for a month older than every version,
    # the policy as it was first recorded.
    version = (
        versions.filter(created_at__lt=_month_end_moment(month)).order_by("-number").first()
        or versions.order_by("number").first()
    )
    data = version.data if version is not None else {}
    override = PartnerSlaOverride.objects.filter(partner=partner).first()
    minimums: dict[str, Any] = {}
    for field in MINIMUMS:
        own = getattr(override, field, None) if override is not None else None
        value = own if own is not None else data.get(field, getattr(partner.sla, field))
        minimums[field] = Decimal(str(value)) if value is not None else None
    return minimums


def partner_month_compliance(*, partner: Partner, month: date) -> list[MinimumReading]:
    minimums = minimums_in_force(partner, month)
    values = actuals(partner_ids=[partner.pk], month=month)[partner.pk]
    readings = []
    for field, (actual_name, label) in MINIMUMS.items():
        minimum = minimums[field]
        actual = values[actual_name]
        readings.append(
            MinimumReading(
                field, label, minimum, actual, None if minimum is None else actual >= minimum
            )
        )
    return readings


def _status_at(partner: Partner, moment: datetime) -> str | None:
    change = (
        partner.status_changes.filter(changed_at__lt=moment).order_by("-changed_at", "-id").first()
    )
    return change.to_status if change is not None else None


def partners_judged(month: date) -> list[Partner]:
    """The partners whose `month` is judged: created before its end, and active or an
    affiliate at that moment."""
    end = _month_end_moment(month)
    return [
        partner
        for partner in Partner.objects.select_related("sla", "channel_manager").filter(
            created_at__lt=end
        )
        if _status_at(partner, end) in JUDGED_STATUSES
    ]


def previous_month(today: date | None = None) -> date:
    today = today or tenant_today()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
