"""Metrics over any period, from the rollups only (never raw activity): a period's
whole months and weeks from the span rollups, its other days from the daily ones, so
their cost grows with partners x days, not with events. Every period is summed
first and divided after: no averages of averages. A division by zero is None."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from partners.models import Partner, PartnerStatus, StatusChange
from prm.tenancy.clock import tenant_zone

from .models import DailyRollup, PendingRollup, RollupState, Span, SpanRollup, TotalRollup
from .rollups import COMPONENTS, cover, span_start

# The SQL here is assembled from this module's own constants (table and column names,
# the components' sums); every value is a bound parameter. Statements built that way
# carry `# nosec B608` for bandit's "SQL built from strings".

CENTS = Decimal("0.01")
MONEY = ("revenue", "cost")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    # What a scorecard compares it with (reporting.scorecard.previous_period): "previous",
    # the span of equal length just before it, or "year", the same days a year before
    # (the year presets). How it was chosen, not which days it has: not compared.
    comparison: str = field(default="previous", compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def moments(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants: its first day's midnight and the
        midnight after its last day, in the tenant's time zone."""
        zone = tenant_zone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


RATE = Decimal("0.0001")
_MICROSECOND = timedelta(microseconds=1)
_DAY = Decimal(86400)


def _ratio(numerator: Any, denominator: Any, places: Decimal = CENTS) -> Decimal | None:
    if not denominator:
        return None
    if not isinstance(numerator, Decimal):
        numerator = Decimal(numerator)
    return (numerator / denominator).quantize(places)


def derive(components: dict[str, Any]) -> dict[str, Any]:
    """The metrics of DESIGN.md from summed components."""
    won, lost = components["orders_won"], components["orders_lost"]
    revenue, cost = components["revenue"], components["cost"]
    first, last = components.get("first_order_at"), components.get("last_order_at")
    between = None
    if won > 1 and first is not None and last is not None:
        # Exact: the time between them in microseconds, not a float of seconds.
        seconds = Decimal((last - first) // _MICROSECOND).scaleb(-6)
        between = (seconds / _DAY / (won - 1)).quantize(CENTS)
    return {
        "avg_order_value": _ratio(revenue, won),
        "cost_per_sale": _ratio(cost, won),
        "avg_item_price": _ratio(revenue, components["items_sold"]),
        "win_rate": _ratio(won, won + lost, RATE),
        "avg_days_between_orders": between,
        "margin": (revenue - cost).quantize(CENTS),
    }


def _empty() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(COMPONENTS, 0)
    values.update({c: Decimal("0.00") for c in MONEY})
    values.update(first_order_at=None, last_order_at=None, inventory_listed=None)
    return values


# The columns of partner_sums(), in order.
SUMMED = (*COMPONENTS, "first_order_at", "last_order_at", "inventory_listed")


# SQL sums of the rollup rows `r` of a period, in the order of SUMMED and as Python
# wants them, so that rows need no conversion: counts as bigint, money as numeric with
# two places, zero when there is nothing to sum; the first and last won order, and the
# last inventory snapshot (that of the latest row with one; the rows of a period never
# overlap), or NULL. The last snapshot is the greatest (day, items) pair: a plain
# aggregate, so PostgreSQL may group by hashing (an ordered array_agg makes it sort).
def _component_sum(alias: str, component: str) -> str:
    kind = "numeric(20, 2)" if component in MONEY else "bigint"
    return f"coalesce(sum({alias}.{component}), 0)::{kind}"


def _component_sums(alias: str) -> tuple[str, ...]:
    return tuple(_component_sum(alias, c) for c in COMPONENTS)


_SUM_COLUMNS = (
    *_component_sums("r"),
    "min(r.first_order_at)",
    "max(r.last_order_at)",
    "(max(ARRAY[r.start - DATE '2000-01-01', r.inventory_listed])"
    " FILTER (WHERE r.inventory_listed IS NOT NULL))[2]",
)
_SUMS = ", ".join(_SUM_COLUMNS)
_SUMS_AS = ", ".join(
    f"{column} AS {name}" for column, name in zip(_SUM_COLUMNS, SUMMED, strict=True)
)
# _SUMS of the rows of _SUMS_AS, one per partner: the same types; the items listed
# online are each partner's last snapshot, added up.
_TOTALS = ", ".join(
    (
        *_component_sums("p"),
        "min(p.first_order_at)",
        "max(p.last_order_at)",
        "sum(p.inventory_listed)::bigint",
    )
)


def _rollups(
    period: Period,
    partners: QuerySet[Partner],
    *,
    within: str | None = None,
    columns: Sequence[str] = SUMMED,
) -> tuple[str, list[Any]]:
    """SQL (and its parameters) of the rollup rows of `partners` that hold every day of
    the period once, with the columns partner_id, start and `columns` (of SUMMED): its
    whole months and weeks from the span rollups, its other days from the daily
    rollups (with `within`, none crosses a day, week or month boundary). A UNION ALL,
    so that each side is read through its own index. Every partner's rollups when
    `partners` is all of them (every rollup row has its partner): no join."""
    member_filter, member_params = "", []
    if not _every_partner(partners):
        # The ids, not a subquery: with `= ANY(ids)` PostgreSQL reads the partners' rows
        # through the (partner, ...) keys; a join would read every partner's rows of
        # the period and throw most away.
        ids = list(partners.order_by().values_list("pk", flat=True))
        member_filter, member_params = "r.partner_id = ANY(%s::bigint[]) AND ", [ids]
    spans: list[str] = []
    span_params: list[Any] = []
    days: list[str] = []
    day_params: list[Any] = []
    for span, first, last in cover(period.start, period.end, within=within):
        if span == Span.DAY:
            days.append("r.day BETWEEN %s AND %s")
            day_params += [first, last]
        else:
            spans.append("(r.span = %s AND r.start BETWEEN %s AND %s)")
            span_params += [span, first, last]
    listed = ", ".join(f"r.{column}" for column in ("start", *columns))
    selects: list[str] = []
    params: list[Any] = []
    if spans:
        selects.append(
            f"SELECT r.partner_id, {listed} FROM {SpanRollup._meta.db_table} r "  # nosec B608
            f"WHERE {member_filter}({' OR '.join(spans)})"
        )
        params += [*member_params, *span_params]
    if days:
        selects.append(
            f"SELECT r.partner_id, {listed.replace('r.start', 'r.day AS start', 1)} "  # nosec B608
            f"FROM {DailyRollup._meta.db_table} r WHERE {member_filter}({' OR '.join(days)})"
        )
        params += [*member_params, *day_params]
    return " UNION ALL ".join(selects), params


def _series_rollups(
    period: Period, partners: QuerySet[Partner], interval: str, columns: Sequence[str]
) -> tuple[str, list[Any]]:
    """_rollups(within=interval) for a series; for every partner, the day's totals
    over every partner instead: a row a day, not a row per partner and day."""
    if not _every_partner(partners):
        return _rollups(period, partners, within=interval, columns=columns)
    listed = ", ".join(f"r.{column}" for column in columns)
    return (
        f"SELECT r.day AS start, {listed} FROM {TotalRollup._meta.db_table} r "  # nosec B608
        "WHERE r.day BETWEEN %s AND %s",
        [period.start, period.end],
    )


def _every_partner(partners: QuerySet[Partner]) -> bool:
    """Whether `partners` is every partner of the tenant: no filter, no slice."""
    return not partners.query.has_filters() and not partners.query.is_sliced


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def partner_sums(*, partners: QuerySet[Partner], period: Period) -> dict[int, tuple[Any, ...]]:
    """Per partner id of `partners` with rollups in the period: its sums over the
    period, in the order of SUMMED (money in cents, the last inventory snapshot or
    None). One GROUP BY partner in SQL; tuples, not dicts, as the dashboard reads a
    thousand of them."""
    rollups, params = _rollups(period, partners)
    rows = _query(
        f"SELECT r.partner_id, {_SUMS} FROM ({rollups}) r GROUP BY r.partner_id",  # nosec B608
        params,
    )
    return {row[0]: row[1:] for row in rows}


def _period_sums(partners: QuerySet[Partner], period: Period) -> tuple[int, tuple[Any, ...]]:
    """The partner_sums() of `partners` added up, in one query that answers one row:
    (how many partners won an order in the period, the sums in the order of SUMMED
    with the items listed online as the sum of each partner's last snapshot)."""
    if _every_partner(partners):
        return _every_partners_sums(period)
    rollups, params = _rollups(period, partners)
    ((partners_sold, *sums),) = _query(
        f"SELECT count(*) FILTER (WHERE p.orders_won > 0), {_TOTALS} FROM ("  # nosec B608
        f" SELECT r.partner_id, {_SUMS_AS} FROM ({rollups}) r GROUP BY r.partner_id"
        ") p",
        params,
    )
    return partners_sold, tuple(sums)


def _every_partners_sums(period: Period) -> tuple[int, tuple[Any, ...]]:
    """_period_sums() of every partner: the sums from the days' totals over every
    partner (a row a day); only what is not a sum of days (partners that sold, each
    one's last snapshot) from a GROUP BY partner of two columns."""
    rollups, params = _rollups(period, Partner.objects.all(), columns=_PER_PARTNER)
    ((partners_sold, *sums),) = _query(
        "WITH p AS ("  # nosec B608
        " SELECT count(*) FILTER (WHERE q.orders_won > 0) AS sold,"
        "  sum(q.inventory_listed)::bigint AS listed FROM ("
        f"  SELECT r.partner_id, sum(r.orders_won) AS orders_won, {_SUM_COLUMNS[-1]}"
        f"  AS inventory_listed FROM ({rollups}) r GROUP BY r.partner_id"
        " ) q"
        f") SELECT (SELECT sold FROM p), {', '.join(_component_sums('t'))},"
        " min(t.first_order_at), max(t.last_order_at), (SELECT listed FROM p)"
        f" FROM {TotalRollup._meta.db_table} t WHERE t.day BETWEEN %s AND %s",
        [*params, period.start, period.end],
    )
    return partners_sold, tuple(sums)


_PER_PARTNER = ("orders_won", "inventory_listed")


def no_sums() -> tuple[Any, ...]:
    """partner_sums() of a partner without rollups in the period."""
    empty = _empty()
    return tuple(empty[column] for column in SUMMED)


def partner_metrics(*, partners: QuerySet[Partner], period: Period) -> list[dict[str, Any]]:
    """One row per partner in `partners`: every component and metric over the period."""
    return metric_rows(partners=partners, sums=partner_sums(partners=partners, period=period))


def metric_rows(
    *, partners: QuerySet[Partner], sums: dict[int, tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """partner_metrics() from the partner_sums() of `partners`, in name order."""
    empty = no_sums()
    rows = []
    for partner_id, ref, name in partners.order_by("name", "ref").values_list("id", "ref", "name"):
        values = dict(zip(SUMMED, sums.get(partner_id, empty), strict=True))
        rows.append({"partner": ref, "name": name, **values, **derive(values)})
    return rows


def partner_series(*, partner: Partner, period: Period, interval: str) -> list[dict[str, Any]]:
    """Buckets of `interval` (day, week starting Monday, month) covering the period,
    empty buckets included."""
    return series(partners=Partner.objects.filter(pk=partner.pk), period=period, interval=interval)


def series(
    *,
    partners: QuerySet[Partner],
    period: Period,
    interval: str,
    components: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Like partner_series, summed over `partners` (one GROUP BY in SQL). With
    `components`, each bucket has its start and those sums only (what a chart draws:
    each summed column costs the database a pass over the rows); without, every
    component, the first and last won order and the metrics."""
    chosen = COMPONENTS if components is None else tuple(components)
    unknown = set(chosen) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"not components: {', '.join(sorted(unknown))}")
    orders = ("first_order_at", "last_order_at") if components is None else ()
    columns = (*chosen, *orders)
    # Grouped by the rows' first days (a plain column: a hash of some dozens of groups,
    # no date_trunc per row), then added into their buckets here; no row crosses a
    # bucket (cover(within=interval)).
    rollups, params = _series_rollups(period, partners, interval, columns)
    sums = [_component_sum("r", component) for component in chosen]
    if orders:
        sums += ["min(r.first_order_at)", "max(r.last_order_at)"]
    rows = _query(
        f"SELECT r.start, {', '.join(sums)} FROM ({rollups}) r GROUP BY r.start",  # nosec B608
        params,
    )
    by_bucket: dict[date, list[Any]] = {}
    for start, *values in rows:
        bucket = span_start(interval, start)
        if bucket in by_bucket:
            values = _add(by_bucket[bucket], values, orders=bool(orders))
        by_bucket[bucket] = values
    zero = _empty()
    empty = [zero[column] for column in columns]
    buckets = []
    for start in _buckets(period, interval):
        bucket_sums = dict(zip(columns, by_bucket.get(start, empty), strict=True))
        metrics = derive(bucket_sums) if orders else {}
        buckets.append({"start": start, **bucket_sums, **metrics})
    return buckets


def _add(one: list[Any], other: list[Any], *, orders: bool) -> list[Any]:
    """Two series rows as one: sums added; with `orders`, the last two columns are the
    first and the last won order."""
    if not orders:
        return [a + b for a, b in zip(one, other, strict=True)]
    summed = [a + b for a, b in zip(one[:-2], other[:-2], strict=True)]
    firsts = [v for v in (one[-2], other[-2]) if v is not None]
    lasts = [v for v in (one[-1], other[-1]) if v is not None]
    return [*summed, min(firsts, default=None), max(lasts, default=None)]


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


def totals(
    *,
    partners: QuerySet[Partner] | None = None,
    period: Period | None = None,
    sums: Sequence[tuple[Any, ...]] | None = None,
) -> dict[str, Any]:
    """The totals of a set of partners over a period: every component summed (the
    first and last won order; the items listed online, each partner's last snapshot
    added up, None when none has one) and the metrics derived from the sums.

    With `partners` and `period`, the tenant's summary as GET /api/v1/metrics/summary/
    answers it (plus `inventory_listed`): partners counted (not terminated), partners
    that sold, affiliates converted and contacts per partner too; the sums from one
    query that answers one row, unless `sums` (the partner_sums() tuples of
    `partners`; those of partners without rollups may be left out) are given, which
    are added up here. With `sums` alone (a group of partners, such as a breakdown's),
    only the sums and the derived metrics. Days are the tenant's."""
    if sums is None:
        if partners is None or period is None:
            raise TypeError("totals() needs partners and a period, or sums")
        partners_sold, row = _period_sums(partners, period)
        summed = dict(zip(SUMMED, row, strict=True))
    else:
        summed = _added(sums)
        partners_sold = sum(1 for row in sums if row[_WON] > 0)
    if partners is None or period is None:
        return {**summed, **derive(summed)}
    inventory = summed.pop("inventory_listed")
    with timezone.override(tenant_zone()):
        values = _summary(summed, partners_sold, partners=partners, period=period)
    values["inventory_listed"] = inventory
    return values


def _added(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """partner_sums() tuples added up, a column at a time (exact: ints and Decimals):
    the first and last won order, and the items listed online (each partner's last
    snapshot, summed; None when no partner has one)."""
    columns = list(zip(*rows, strict=True)) or [()] * len(SUMMED)
    values: dict[str, Any] = {}
    for name, column in zip(SUMMED, columns, strict=True):
        if name in MONEY:
            values[name] = sum(column, Decimal("0.00"))
        elif name in COMPONENTS:
            values[name] = sum(column)
    values["first_order_at"] = min(filter(None, columns[_FIRST_ORDER]), default=None)
    values["last_order_at"] = max(filter(None, columns[_LAST_ORDER]), default=None)
    listed = [value for value in columns[_INVENTORY] if value is not None]
    values["inventory_listed"] = sum(listed) if listed else None
    return values


_FIRST_ORDER = SUMMED.index("first_order_at")
_LAST_ORDER = SUMMED.index("last_order_at")
_INVENTORY = SUMMED.index("inventory_listed")
_WON = SUMMED.index("orders_won")


def _summary(
    components: dict[str, Any],
    partners_sold: int,
    *,
    partners: QuerySet[Partner],
    period: Period,
) -> dict[str, Any]:
    """The summary from components already summed over `partners` and the period:
    adds partners counted (not terminated), affiliates converted and contacts per
    partner, and derives the rest. Days are those of the active time zone."""
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


def backlog() -> dict[str, Any]:
    """The outbox of the current tenant: `pending` as in freshness(), and since when
    the oldest of them waits (`oldest_at`, None when nothing does). An outbox key keeps
    the time its first unfolded row was accepted (reporting.ingest), so this is the
    age of the oldest accepted row not yet in the rollups."""
    return PendingRollup.objects.aggregate(pending=Count("id"), oldest_at=Min("created_at"))
