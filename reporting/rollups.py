"""Daily rollups: one SQL definition of every component, used both to fold the
outbox's (partner, day) keys and to recompute everything from raw rows, so the
incremental and the full result cannot drift apart.

Folding takes a batch of outbox keys out of the outbox (FOR UPDATE SKIP LOCKED, so
workers share the work), deletes their rollup rows and recomputes them from the raw
rows, in one transaction: a worker killed half-way leaves the keys for the next one,
and a key recomputed twice gives the same row. An ingestion that touches a key while
it is being folded waits for the fold and re-inserts the key after the fold commits,
so nothing is missed.

Every change of daily rollups also rebuilds, in the same transaction, the span rollups
(reporting.models.SpanRollup) of the weeks and months it touched, from the daily rows;
`cover()` splits any period into whole months, whole weeks and days, so that reading a
year sums a row per partner and month (and a few weeks and days) instead of one per day.
It rebuilds as well the days' totals over every partner (reporting.models.TotalRollup),
which charts of all partners read.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from prm.tenancy.db import current_time_zone

from .models import DailyRollup, RollupState, Span

# The SQL here is assembled from this module's own constants (table and column names,
# the components' sums); every value is a bound parameter. Statements built that way
# carry `# nosec B608` for bandit's "SQL built from strings".

COMPONENTS = (
    "orders_opened",
    "orders_won",
    "orders_lost",
    "revenue",
    "cost",
    "items_sold",
    "items_online_store",
    "items_display_shelf",
    "new_accounts",
    "calls_made",
    "calls_received",
    "call_seconds",
    "channel_calls",
    "contacts_generated",
    "contacts_converted",
)


def _contributions(restrict: str) -> str:
    """SELECTs of (partner_id, day, components...) rows, one per raw-row contribution.

    `restrict` is a SQL snippet with `{ts}` for the timestamp column, applied to each
    source (a key join or a since-date condition)."""
    zero = dict.fromkeys(COMPONENTS, "0")

    def select(table: str, ts: str, where: str, values: dict[str, str], extra: str = "") -> str:
        columns = {**zero, **values}
        parts = ", ".join(f"{columns[c]} AS {c}" for c in COMPONENTS)
        first_last = (
            extra or "NULL::timestamptz AS first_order_at, NULL::timestamptz AS last_order_at"
        )
        return (
            f"SELECT s.partner_id, (s.{ts} AT TIME ZONE %(tz)s)::date AS day, "  # nosec B608
            f"{parts}, {first_last}, "
            f"NULL::bigint AS inventory_listed FROM {table} s {restrict.format(ts='s.' + ts)}"
            f"{' AND ' if where else ''}{where}"
        )

    won = "s.status = 'won'"
    return " UNION ALL ".join(
        [
            select("reporting_order", "ordered_at", "", {"orders_opened": "1"}),
            select(
                "reporting_order",
                "closed_at",
                "s.status IN ('won', 'lost') AND s.closed_at IS NOT NULL",
                {
                    "orders_won": f"({won})::int",
                    "orders_lost": "(s.status = 'lost')::int",
                    "revenue": f"CASE WHEN {won} THEN s.amount ELSE 0 END",
                    "cost": f"CASE WHEN {won} THEN s.cost ELSE 0 END",
                    "items_sold": f"CASE WHEN {won} THEN s.quantity ELSE 0 END",
                    "items_online_store": (
                        f"CASE WHEN {won} AND s.channel = 'online_store' THEN s.quantity ELSE 0 END"
                    ),
                    "items_display_shelf": (
                        f"CASE WHEN {won} AND s.channel = 'display_shelf' "
                        "THEN s.quantity ELSE 0 END"
                    ),
                    "new_accounts": f"({won} AND s.new_account)::int",
                },
                extra=(
                    f"CASE WHEN {won} THEN s.closed_at END AS first_order_at, "
                    f"CASE WHEN {won} THEN s.closed_at END AS last_order_at"
                ),
            ),
            select(
                "reporting_call",
                "occurred_at",
                "",
                {
                    "calls_made": "(s.direction = 'made')::int",
                    "calls_received": "(s.direction = 'received')::int",
                    "call_seconds": "s.duration_seconds",
                    "channel_calls": "(s.counterpart = 'channel_team')::int",
                },
            ),
            select("reporting_lead", "created_at", "", {"contacts_generated": "1"}),
            select(
                "reporting_lead",
                "converted_at",
                "s.converted_at IS NOT NULL",
                {"contacts_converted": "1"},
            ),
        ]
    )


def _inventory(restrict: str) -> str:
    """The items listed at the end of each (partner, day): for every product, its last
    snapshot of the day, summed."""
    return f"""
        SELECT partner_id, day, {", ".join("0" for _ in COMPONENTS)},
               NULL::timestamptz, NULL::timestamptz, sum(items_listed)::bigint
        FROM (
            SELECT DISTINCT ON (s.partner_id, day, s.product_id)
                   s.partner_id, (s.observed_at AT TIME ZONE %(tz)s)::date AS day, s.items_listed
            FROM reporting_inventorysnapshot s {restrict.format(ts="s.observed_at")}
            ORDER BY s.partner_id, day, s.product_id, s.observed_at DESC, s.id DESC
        ) last_snapshots
        GROUP BY partner_id, day
    """  # nosec B608


# Every component summed, in the order of COMPONENTS.
_SUMS = ", ".join(f"sum({c})" for c in COMPONENTS)


def _insert(restrict: str) -> str:
    # Rows are written day by day, as folds write them: after a full recompute the
    # table is laid out as in live use, and the rows of a period's days (what the
    # dashboard reads for every partner) sit on few pages instead of one page per
    # partner and day (a month of 1,000 partners: some 200 pages, not 1,500). By
    # partner, filling the (partner, day) key's index in order, the recompute was
    # some 8 % quicker (bench/recompute.py: 1.23x against 1.35x the bare INSERT).
    return f"""
        INSERT INTO reporting_dailyrollup
            (partner_id, day, {", ".join(COMPONENTS)},
             first_order_at, last_order_at, inventory_listed)
        SELECT partner_id, day, {_SUMS},
               min(first_order_at), max(last_order_at), max(inventory_listed)
        FROM ({_contributions(restrict)} UNION ALL {_inventory(restrict)}) AS contributions
        GROUP BY partner_id, day
        ORDER BY day, partner_id
    """  # nosec B608


# Rows whose (partner, tenant-local day) is one of the keys being folded; the range
# test on the timestamp lets PostgreSQL use the (partner, time) indexes.
KEY_RESTRICT = (
    "JOIN fold_keys k ON k.partner_id = s.partner_id "
    "AND {ts} >= (k.day::timestamp AT TIME ZONE %(tz)s) "
    "AND {ts} < ((k.day + 1)::timestamp AT TIME ZONE %(tz)s) WHERE TRUE"
)
RANGE_RESTRICT = (
    "WHERE {ts} >= (%(since)s::timestamp AT TIME ZONE %(tz)s) "
    "AND {ts} < (%(until)s::timestamp AT TIME ZONE %(tz)s)"
)


def fold_pending(*, limit: int = 5000) -> int:
    """Fold up to `limit` outbox keys into the rollups; returns how many were folded."""
    tz = current_time_zone()
    with transaction.atomic(), connection.cursor() as cursor:
        # The keys are taken out of the outbox first, before the raw rows are read: an
        # ingestion that touches one of these days from now on finds its key deleted by
        # this (uncommitted) transaction, waits for it, and puts the key back once it
        # commits. Were the keys only locked here and deleted at the end, that ingestion
        # would find them still there, add nothing, and commit a change that this fold's
        # reads do not include: the day would stay wrong with nothing pending.
        cursor.execute(
            "DELETE FROM reporting_pendingrollup WHERE id IN ("
            " SELECT id FROM reporting_pendingrollup ORDER BY id"
            " LIMIT %s FOR UPDATE SKIP LOCKED"
            ") RETURNING partner_id, day",
            [limit],
        )
        keys = cursor.fetchall()
        if not keys:
            return 0
        partner_ids = [key[0] for key in keys]
        days = [key[1] for key in keys]
        cursor.execute("DROP TABLE IF EXISTS fold_keys")
        cursor.execute(
            "CREATE TEMP TABLE fold_keys ON COMMIT DROP AS "
            "SELECT * FROM unnest(%s::bigint[], %s::date[]) AS k (partner_id, day)",
            [partner_ids, days],
        )
        cursor.execute(
            "DELETE FROM reporting_dailyrollup r USING fold_keys k "
            "WHERE r.partner_id = k.partner_id AND r.day = k.day"
        )
        cursor.execute(_insert(KEY_RESTRICT), {"tz": tz})
        _fold_spans(cursor)
        _fold_totals(cursor)
        _mark(folded=True)
    return len(keys)


def fold_all(*, batch: int = 5000, max_rounds: int = 1000) -> int:
    total = 0
    for _ in range(max_rounds):
        folded = fold_pending(limit=batch)
        total += folded
        if folded < batch:
            break
    return total


def recompute(*, since: date | None = None, until: date | None = None) -> int:
    """Rebuild the rollups of the days from `since` up to (not including) `until` from
    raw rows; returns the rollup rows written. Pending keys of those days are settled
    by the rebuild, so the outbox is locked meanwhile."""
    tz = current_time_zone()
    since = since or date(1970, 1, 1)
    until = until or date(9999, 1, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reporting_pendingrollup IN EXCLUSIVE MODE")
        cursor.execute(
            "DELETE FROM reporting_dailyrollup WHERE day >= %s AND day < %s", [since, until]
        )
        cursor.execute(_insert(RANGE_RESTRICT), {"tz": tz, "since": since, "until": until})
        written = cursor.rowcount
        # Folds wait for the outbox lock above, so nothing else writes spans meanwhile.
        _rebuild_spans(cursor, since=since, until=until)
        _rebuild_totals(
            cursor,
            "SELECT day FROM reporting_dailyrollup WHERE day >= %s AND day < %s"
            " UNION SELECT day FROM reporting_totalrollup WHERE day >= %s AND day < %s",
            [since, until, since, until],
        )
        cursor.execute(
            "DELETE FROM reporting_pendingrollup WHERE day >= %s AND day < %s", [since, until]
        )
        _mark(folded=True)
    return written


# --- span rollups ---------------------------------------------------------------------

# The spans kept in reporting_spanrollup; a day's "span" is its daily rollup.
STORED_SPANS = (Span.WEEK, Span.MONTH)

# The first day of the span holding the daily rollup `d`.
SPAN_START = {
    Span.WEEK: "date_trunc('week', d.day)::date",  # Monday, as TruncWeek and ISO 8601
    Span.MONTH: "date_trunc('month', d.day)::date",
}
_SPAN_COLUMNS = (
    f"partner_id, span, start, {', '.join(COMPONENTS)}, "
    "first_order_at, last_order_at, inventory_listed"
)
_SPAN_VALUES = (
    f"{', '.join(f'sum(d.{c})' for c in COMPONENTS)}, "
    "min(d.first_order_at), max(d.last_order_at), "
    # the last snapshot in the span: that of its last day with one
    "(array_agg(d.inventory_listed ORDER BY d.day DESC) "
    "FILTER (WHERE d.inventory_listed IS NOT NULL))[1]"
)


def _fold_spans(cursor: Any) -> None:
    """Rebuild the span rollups holding the days in fold_keys from the daily rows.

    Two folds may hold different days of one partner's month. Each takes a lock per
    partner (in partner order, so they cannot deadlock) before it reads the daily
    rows, and holds it until it commits: the second one's statements then see the
    first one's days and span rows, so neither overwrites the other with an older
    sum (nor trips over the other's new row)."""
    cursor.execute(
        "SELECT pg_advisory_xact_lock(hashtext('reporting_spanrollup ' || current_schema()),"
        " (partner_id %% 2147483647)::int)"
        " FROM (SELECT DISTINCT partner_id FROM fold_keys ORDER BY partner_id) k",
        [],
    )
    cursor.execute("DROP TABLE IF EXISTS fold_spans")
    cursor.execute(
        "CREATE TEMP TABLE fold_spans ON COMMIT DROP AS "  # nosec B608
        "SELECT DISTINCT k.partner_id, s.span, s.start, s.stop FROM fold_keys k "
        "CROSS JOIN LATERAL (VALUES "
        f" ('{Span.WEEK.value}', date_trunc('week', k.day)::date,"
        "  date_trunc('week', k.day)::date + 7),"
        f" ('{Span.MONTH.value}', date_trunc('month', k.day)::date,"
        "  (date_trunc('month', k.day) + interval '1 month')::date)"
        ") AS s (span, start, stop)"
    )
    cursor.execute(
        "DELETE FROM reporting_spanrollup r USING fold_spans f "
        "WHERE r.partner_id = f.partner_id AND r.span = f.span AND r.start = f.start"
    )
    cursor.execute(
        f"INSERT INTO reporting_spanrollup ({_SPAN_COLUMNS}) "  # nosec B608
        f"SELECT f.partner_id, f.span, f.start, {_SPAN_VALUES} "
        "FROM fold_spans f JOIN reporting_dailyrollup d ON d.partner_id = f.partner_id "
        "AND d.day >= f.start AND d.day < f.stop "
        "GROUP BY f.partner_id, f.span, f.start"
    )


def _rebuild_spans(cursor: Any, *, since: date, until: date) -> None:
    """Rebuild every span rollup holding a day from `since` up to `until` (excluded)
    from the daily rows; those of a week or month that reaches outside the range read
    the daily rows outside it too."""
    for span in STORED_SPANS:
        first = span_start(span, since)
        stop = span_next(span, span_start(span, until - timedelta(days=1)))
        cursor.execute(
            "DELETE FROM reporting_spanrollup WHERE span = %s AND start >= %s AND start < %s",
            [span.value, first, stop],
        )
        cursor.execute(
            f"INSERT INTO reporting_spanrollup ({_SPAN_COLUMNS}) "  # nosec B608
            f"SELECT d.partner_id, %s, {SPAN_START[span]}, {_SPAN_VALUES} "
            "FROM reporting_dailyrollup d WHERE d.day >= %s AND d.day < %s "
            f"GROUP BY d.partner_id, {SPAN_START[span]} ORDER BY 3, 1",
            [span.value, first, stop],
        )


# --- totals over every partner ------------------------------------------------------

_TOTAL_COLUMNS = f"day, {', '.join(COMPONENTS)}, first_order_at, last_order_at"
_TOTAL_VALUES = f"{_SUMS}, min(first_order_at), max(last_order_at)"


def _fold_totals(cursor: Any) -> None:
    """Rebuild the totals of the days in fold_keys from the daily rows."""
    _rebuild_totals(cursor, "SELECT DISTINCT day FROM fold_keys", [])


def _rebuild_totals(cursor: Any, days: str, params: list[Any]) -> None:
    """Rebuild the totals of the days that the SQL query `days` answers. As for the
    spans, a lock per day (taken in day order, after any partner locks, and held to
    the commit) makes a second writer of the same day read the first one's rows."""
    cursor.execute("DROP TABLE IF EXISTS total_days")
    cursor.execute(f"CREATE TEMP TABLE total_days ON COMMIT DROP AS {days}", params)
    cursor.execute(
        "SELECT pg_advisory_xact_lock(hashtext('reporting_totalrollup ' || current_schema()),"
        " (day - DATE '2000-01-01')) FROM total_days ORDER BY day"
    )
    cursor.execute("DELETE FROM reporting_totalrollup WHERE day IN (SELECT day FROM total_days)")
    cursor.execute(
        f"INSERT INTO reporting_totalrollup ({_TOTAL_COLUMNS}) "  # nosec B608
        f"SELECT day, {_TOTAL_VALUES} FROM reporting_dailyrollup "
        "WHERE day IN (SELECT day FROM total_days) GROUP BY day ORDER BY day"
    )


def rebuild_totals(days: list[date]) -> None:
    """Rebuild the totals of `days` (when a partner's rollups went, say)."""
    with transaction.atomic(), connection.cursor() as cursor:
        _rebuild_totals(cursor, "SELECT DISTINCT unnest(%s::date[]) AS day", [days])


def span_start(span: str, day: date) -> date:
    if span == Span.WEEK:
        return day - timedelta(days=day.weekday())
    if span == Span.MONTH:
        return day.replace(day=1)
    return day


def span_next(span: str, start: date) -> date:
    """The first day of the span after the one starting on `start`."""
    if span == Span.WEEK:
        return start + timedelta(days=7)
    if span == Span.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def cover(start: date, end: date, *, within: str | None = None) -> list[tuple[str, date, date]]:
    """The spans that hold every day from `start` to `end` (both included) exactly
    once, as few as possible: whole months, then whole weeks in what is left, then
    days. With `within` (day, week or month) no span crosses a boundary of that
    interval, so spans can be grouped into its buckets. Returns runs of consecutive
    spans of one kind: (span, start of the first, start of the last)."""
    segments: list[tuple[date, date]] = []
    if within in (Span.WEEK, Span.MONTH):
        first = start
        while first <= end:
            last = min(end, span_next(within, span_start(within, first)) - timedelta(days=1))
            segments.append((first, last))
            first = last + timedelta(days=1)
    else:
        segments.append((start, end))
    pieces: list[tuple[str, date, date]] = []
    for first, last in segments:
        if within == Span.DAY:
            pieces.append((Span.DAY, first, last))
            continue
        rest = [(first, last)]
        if within != Span.WEEK:
            rest = _whole(Span.MONTH, first, last, pieces)
        for part_first, part_last in rest:
            for day_first, day_last in _whole(Span.WEEK, part_first, part_last, pieces):
                pieces.append((Span.DAY, day_first, day_last))
    return _runs(pieces)


def _whole(
    span: str, first: date, last: date, pieces: list[tuple[str, date, date]]
) -> list[tuple[date, date]]:
    """Appends to `pieces` the whole spans inside first..last (one run); returns what
    is left before and after them."""
    aligned = span_start(span, first)
    head = aligned if aligned == first else span_next(span, aligned)
    stop = span_start(span, last + timedelta(days=1))  # the day after the last whole one
    if head >= stop:
        return [(first, last)]
    previous = stop - timedelta(days=1)
    pieces.append((span, head, span_start(span, previous)))
    return [
        (part_first, part_last)
        for part_first, part_last in ((first, head - timedelta(days=1)), (stop, last))
        if part_first <= part_last
    ]


def _runs(pieces: list[tuple[str, date, date]]) -> list[tuple[str, date, date]]:
    """Joins runs of one kind of span that follow each other."""
    runs: list[tuple[str, date, date]] = []
    for span, first, last in sorted(pieces, key=lambda piece: piece[1]):
        if runs and runs[-1][0] == span and span_next(span, runs[-1][2]) == first:
            runs[-1] = (span, runs[-1][1], last)
        else:
            runs.append((span, first, last))
    return runs


def activity_start() -> date | None:
    """The first tenant-local day with any activity."""
    tz = current_time_zone()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(first) FROM ("
            " SELECT min(ordered_at) AS first FROM reporting_order"
            " UNION ALL SELECT min(occurred_at) FROM reporting_call"
            " UNION ALL SELECT min(created_at) FROM reporting_lead"
            " UNION ALL SELECT min(observed_at) FROM reporting_inventorysnapshot) firsts"
        )
        (first,) = cursor.fetchone()
    return first.astimezone(ZoneInfo(tz)).date() if first else None


def snapshot(*, since: date) -> dict[tuple[int, date], tuple[object, ...]]:
    """Every rollup row from `since`, by (partner, day), for comparisons."""
    fields = (
        "partner_id",
        "day",
        *COMPONENTS,
        "first_order_at",
        "last_order_at",
        "inventory_listed",
    )
    rows = DailyRollup.objects.filter(day__gte=since).values_list(*fields)
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def _mark(*, folded: bool = False, reconciled: bool = False) -> None:
    now = timezone.now()
    state, _ = RollupState.objects.get_or_create(pk=1)
    if folded:
        state.folded_at = now
    if reconciled:
        state.reconciled_at = now
    state.save()
