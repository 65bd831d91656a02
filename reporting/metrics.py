"""Metrics over any period, from the daily rollups only (never raw activity), so
their cost grows with partners x days, not with events. Every period is summed
first and divided after: no averages of averages. A division by zero is None."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from partners.models import Partner, PartnerStatus, StatusChange
from prm.tenancy.db import current_time_zone

from .models import PendingRollup, RollupState, SpanRollup
from .rollups import COMPONENTS, cover_filter, span_start

CENTS = Decimal("0.01")
MONEY = ("revenue", "cost")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def moments(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants: its first day's midnight and the
        midnight after its last day, in the tenant's time zone."""
        zone = ZoneInfo(current_time_zone())
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def _ratio(numerator: Any, denominator: Any, places: str = "0.01") -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


def derive(components: dict[str, Any]) -> dict[str, Any]:
    """The metrics of DESIGN.md from summed components."""
    won, lost = components["orders_won"], components["orders_lost"]
    revenue, cost = components["revenue"], components["cost"]
    first, last = components.get("first_order_at"), components.get("last_order_at")
    between = None
    if won > 1 and first is not None and last is not None:
        seconds = Decimal((last - first).total_seconds())
        between = (seconds / Decimal(86400) / Decimal(won - 1)).quantize(CENTS)
    return {
        "avg_order_value": _ratio(revenue, won),
        "cost_per_sale": _ratio(cost, won),
        "avg_item_price": _ratio(revenue, components["items_sold"]),
        "win_rate": _ratio(won, won + lost, "0.0001"),
        "avg_days_between_orders": between,
        "margin": (revenue - cost).quantize(CENTS),
    }


def _empty() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(COMPONENTS, 0)
    values.update({c: Decimal("0.00") for c in MONEY})
    values.update(first_order_at=None, last_order_at=None, inventory_listed=None)
    return values


def _sums() -> dict[str, Any]:
    return {
        **{c: Sum(c) for c in COMPONENTS},
        "first_order_at": Min("first_order_at"),
        "last_order_at": Max("last_order_at"),
    }


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    values = _empty()
    for key, value in row.items():
        if key in values and value is not None:
            values[key] = value.quantize(CENTS) if key in MONEY else value
    return values


def _over(period: Period, *, within: str | None = None) -> QuerySet[SpanRollup]:
    """Rollups that hold every day of the period once: its whole months, then whole
    weeks, then days (with `within`, none crosses a day, week or month boundary)."""
    return SpanRollup.objects.filter(cover_filter(period.start, period.end, within=within))


# The columns of partner_sums(), in order.
SUMMED = (*COMPONENTS, "first_order_at", "last_order_at", "inventory_listed")


def partner_sums(*, partners: QuerySet[Partner], period: Period) -> dict[int, tuple[Any, ...]]:
    """Per partner id of `partners` with rollups in the period: its sums over the
    period, in the order of SUMMED (money in cents, the last inventory snapshot or
    None). One GROUP BY partner in SQL; tuples, not dicts, as the dashboard reads a
    thousand of them."""
    rollups = _over(period).filter(partner__in=partners)
    # inventory_listed over a period is the last value in it, taken in the same scan.
    last_inventory = ArrayAgg(
        "inventory_listed", filter=Q(inventory_listed__isnull=False), order_by="-start"
    )
    grouped = (
        rollups.order_by()
        .values("partner_id")
        .annotate(**_sums(), inventory=last_inventory)
        .values_list("partner_id", *SUMMED[:-1], "inventory")
    )
    revenue, cost = COMPONENTS.index("revenue"), COMPONENTS.index("cost")
    sums = {}
    for partner_id, *values in grouped:
        values[revenue] = values[revenue].quantize(CENTS)
        values[cost] = values[cost].quantize(CENTS)
        values[-1] = values[-1][0] if values[-1] else None
        sums[partner_id] = tuple(values)
    return sums


def no_sums() -> tuple[Any, ...]:
    """partner_sums() of a partner without rollups in the period."""
    empty = _empty()
    return tuple(empty[column] for column in SUMMED)


def partner_metrics(*, partners: QuerySet[Partner], period: Period) -> list[dict[str, Any]]:
    """One row per partner in `partners`: every component and metric over the period."""
    sums = partner_sums(partners=partners, period=period)
    empty = no_sums()
    rows = []
    for partner_id, ref, name in partners.order_by("name", "ref").values_list("id", "ref", "name"):
        values = dict(zip(SUMMED, sums.get(partner_id, empty), strict=True))
        rows.append({"partner": ref, "name": name, **values, **derive(values)})
    return rows


def partner_series(*, partner: Partner, period: Period, interval: str) -> list[dict[str, Any]]:
    """Buckets of `interval` (day, week starting Monday, month) covering the period,
    empty buckets included."""
    rollups = _over(period, within=interval).filter(partner=partner)
    return _series(rollups, period, interval)


def series(*, partners: QuerySet[Partner], period: Period, interval: str) -> list[dict[str, Any]]:
    """Like partner_series, summed over `partners` (one GROUP BY in SQL)."""
    rollups = _over(period, within=interval).filter(partner__in=partners)
    return _series(rollups, period, interval)


def _series(rollups: QuerySet[SpanRollup], period: Period, interval: str) -> list[dict[str, Any]]:
    # Grouped by the spans' first days (a plain column: a hash of some dozens of groups,
    # no date_trunc per row), then added into their buckets here; no span crosses a
    # bucket (cover(within=interval)).
    by_bucket: dict[date, dict[str, Any]] = {}
    for grouped in rollups.order_by().values("start").annotate(**_sums()):
        row: dict[str, Any] = dict(grouped)
        bucket = span_start(interval, row.pop("start"))
        by_bucket[bucket] = _add(by_bucket[bucket], row) if bucket in by_bucket else row
    rows = []
    for start in _buckets(period, interval):
        values = _clean(by_bucket.get(start, {}))
        values.pop("inventory_listed")
        rows.append({"start": start, **values, **derive(values)})
    return rows


def _add(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Two rows of _sums() as one."""
    firsts = [v for v in (one["first_order_at"], other["first_order_at"]) if v is not None]
    lasts = [v for v in (one["last_order_at"], other["last_order_at"]) if v is not None]
    return {
        **{c: _plus(one[c], other[c]) for c in COMPONENTS},
        "first_order_at": min(firsts, default=None),
        "last_order_at": max(lasts, default=None),
    }


def _plus(one: Any, other: Any) -> Any:
    return other if one is None else one if other is None else one + other


def inventory_listed(*, partners: QuerySet[Partner], period: Period) -> int | None:
    """Items listed in the online stores of `partners` over the period: the sum of each
    partner's last snapshot in it (None when no partner has one)."""
    last_per_partner = (
        _over(period)
        .filter(partner__in=partners, inventory_listed__isnull=False)
        .order_by("partner_id", "-start")
        .distinct("partner_id")
        .values("pk")
    )
    total = SpanRollup.objects.filter(pk__in=last_per_partner).aggregate(
        total=Sum("inventory_listed")
    )["total"]
    return int(total) if total is not None else None


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value


def _buckets(period: Period, interval: str) -> Iterable[date]:
    if interval == "day":
        current = period.start
        while current <= period.end:
            yield current
            current += timedelta(days=1)
    elif interval == "week":
        current = period.start - timedelta(days=period.start.weekday())
        while current <= period.end:
            yield current
            current += timedelta(days=7)
    else:
        current = period.start.replace(day=1)
        while current <= period.end:
            yield current
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)


def summary(*, partners: QuerySet[Partner], period: Period) -> dict[str, Any]:
    """Tenant totals, plus partners that sold, affiliates converted and contacts per
    partner (contacts generated / partners not terminated). Days are those of the
    active time zone: the caller activates the tenant's."""
    rollups = _over(period).filter(partner__in=partners)
    # A partner sold in the period when any of its rows has a won order (counts are
    # never negative), so one scan gives the totals and the partners that sold. It
    # comes first: after _sums(), "orders_won" would name the sum, not the column.
    sold = Count("partner_id", distinct=True, filter=Q(orders_won__gt=0))
    totals = rollups.aggregate(partners_sold=sold, **_sums())
    partners_sold = totals.pop("partners_sold")
    totals = _clean(totals)
    totals.pop("inventory_listed")
    return summary_of(
        components=totals, partners_sold=partners_sold, partners=partners, period=period
    )


def summary_of(
    *,
    components: dict[str, Any],
    partners_sold: int,
    partners: QuerySet[Partner],
    period: Period,
) -> dict[str, Any]:
    """The summary from components already summed over `partners` and the period (the
    dashboard sums them from its per-partner rows): adds partners counted (not
    terminated), affiliates converted and contacts per partner, and derives the rest."""
    counted = partners.exclude(status=PartnerStatus.TERMINATED).count()
    affiliates = (
        StatusChange.objects.filter(
            partner__in=partners,
            to_status=PartnerStatus.AFFILIATE,
            changed_at__date__gte=period.start,
            changed_at__date__lte=period.end,
        )
        # A partner signed in as an affiliate (its first record) was not converted.
        .exclude(from_status="")
        .values("partner_id")
        .distinct()
        .count()
    )
    return {
        "from": period.start,
        "to": period.end,
        "partners": counted,
        "partners_sold": partners_sold,
        "affiliates_converted": affiliates,
        "contacts_per_partner": _ratio(components["contacts_generated"], counted),
        **components,
        **derive(components),
    }


def freshness() -> dict[str, Any]:
    state = RollupState.objects.filter(pk=1).first()
    return {"pending": PendingRollup.objects.count(), "as_of": state.folded_at if state else None}
