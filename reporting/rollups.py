"""Daily rollups: one SQL definition of every component, used both to fold the
outbox's (partner, day) keys and to recompute everything from raw rows, so the
incremental and the full result cannot drift apart.

Folding takes a batch of outbox keys out of the outbox (FOR UPDATE SKIP LOCKED, so
workers share the work), deletes their rollup rows and recomputes them from the raw
rows, in one transaction: a worker killed half-way leaves the keys for the next one,
and a key recomputed twice gives the same row. An ingestion that touches a key while
it is being folded waits for the fold and re-inserts the key after the fold commits,
so nothing is missed.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from prm.tenancy.db import current_time_zone

from .models import DailyRollup, RollupState

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
            f"SELECT s.partner_id, (s.{ts} AT TIME ZONE %(tz)s)::date AS day, "
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
    """


def _insert(restrict: str) -> str:
    sums = ", ".join(f"sum({c})" for c in COMPONENTS)
    return f"""
        INSERT INTO reporting_dailyrollup
            (partner_id, day, {", ".join(COMPONENTS)},
             first_order_at, last_order_at, inventory_listed)
        SELECT partner_id, day, {sums},
               min(first_order_at), max(last_order_at), max(inventory_listed)
        FROM ({_contributions(restrict)} UNION ALL {_inventory(restrict)}) AS contributions
        GROUP BY partner_id, day
    """


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
        cursor.execute(
            "DELETE FROM reporting_pendingrollup WHERE day >= %s AND day < %s", [since, until]
        )
        _mark(folded=True)
    return written


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
