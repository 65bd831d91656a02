"""Full recompute of the daily rollups from 1,000,000 orders through the product
(reporting.rollups.recompute) against a bare hand-written INSERT ... SELECT ...
GROUP BY that produces the same rows, on the same database.

Run:  .venv/bin/python bench/recompute.py [--orders 1000000] [--partners 1000]
          [--days 365] [--runs 3] [--time-zone Europe/Amsterdam]
          [--database-url postgres://...] [--redis-url redis://...] [--keep-database]

What it does
------------
1. Creates its own database ``prm_bench_recompute_<time>_<pid>``, runs
   ``migrate_all`` and provisions the tenant ``bench`` (``tenant_provision``) in
   ``--time-zone``. Creates one partner with ``partner_create`` (the product path)
   and the other ``--partners`` - 1 by copying that row in SQL (only their ids
   matter here), and three products.
2. Generates ``--orders`` orders with one ``INSERT ... SELECT ... FROM
   generate_series``: spread evenly over the partners and ``--days`` days (1,000 x
   365 = 365,000 partner-days, about 2.7 orders each), 55 % won, 15 % lost, 30 %
   open, won and lost closing 0 to 9 days after they were ordered, every channel,
   a tenth opening a new account. Then ANALYZE, as autovacuum would.
3. Runs the product recompute once untimed (warm-up, and the starting state of
   every timed run: a full set of rollups), then ``--runs`` rounds of, in
   alternating order:

   product
       ``reporting.rollups.recompute()`` in the tenant: lock the outbox, delete the
       rollups, one ``INSERT ... SELECT ... GROUP BY`` over the UNION ALL of every
       kind's contributions (orders opened, orders closed, calls, contacts opened
       and converted, inventory's last snapshots), then the week and month span
       rollups of those days (reporting.SpanRollup, two more ``INSERT ... SELECT
       ... GROUP BY`` over the new daily rows), clear the outbox, record the time,
       commit.
   bare
       The hand-written query for orders only, as someone who knows the data
       would write it for a one-off: delete the rollups, then one
       ``INSERT ... SELECT ... GROUP BY`` over the UNION ALL of the orders by
       ordered day and the won or lost orders by closing day, summing only what
       orders have, constants for the other components; commit. (A variant
       with one scan of the orders and ``CROSS JOIN LATERAL (VALUES ...)`` was
       slower here, so the faster one is the baseline.)

   Each run is timed from its first statement to its commit; ``VACUUM`` of the
   rollup tables (untimed) follows every run so that dead rows do not pile up.
   After the first round the bench checks that both produced identical rows
   (every column, EXCEPT in both directions).
4. Prints each run, the median and best of each path, the ratio product / bare
   of the best runs (target <= 1.5; other processes on the machine only add time,
   so the best run is the estimate; the ratio of medians is printed too) and drops
   the database. The exit status is 0 whenever the bench ran.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

TARGET_RATIO = 1.5
COLUMNS = (
    "partner_id, day, orders_opened, orders_won, orders_lost, revenue, cost, items_sold, "
    "items_online_store, items_display_shelf, new_accounts, calls_made, calls_received, "
    "call_seconds, channel_calls, contacts_generated, contacts_converted, first_order_at, "
    "last_order_at, inventory_listed"
)

# Orders only: an order counts as opened on its ordered day and, when won or lost, as
# closed on its closing day; sums of only what orders have, constants for the rest.
BARE_SQL = f"""
    INSERT INTO reporting_dailyrollup ({COLUMNS})
    SELECT partner_id, day, sum(opened), sum(won), sum(lost), sum(revenue), sum(cost),
           sum(items), sum(online), sum(shelf), sum(new_accounts), 0, 0, 0, 0, 0, 0,
           min(won_at), max(won_at), NULL
    FROM (
        SELECT partner_id, (ordered_at AT TIME ZONE %(tz)s)::date AS day, 1 AS opened,
               0 AS won, 0 AS lost, 0 AS revenue, 0 AS cost, 0 AS items, 0 AS online,
               0 AS shelf, 0 AS new_accounts, NULL::timestamptz AS won_at
        FROM reporting_order
        UNION ALL
        SELECT partner_id, (closed_at AT TIME ZONE %(tz)s)::date, 0,
               (status = 'won')::int, (status = 'lost')::int,
               CASE WHEN status = 'won' THEN amount ELSE 0 END,
               CASE WHEN status = 'won' THEN cost ELSE 0 END,
               CASE WHEN status = 'won' THEN quantity ELSE 0 END,
               CASE WHEN status = 'won' AND channel = 'online_store' THEN quantity ELSE 0 END,
               CASE WHEN status = 'won' AND channel = 'display_shelf' THEN quantity ELSE 0 END,
               (status = 'won' AND new_account)::int,
               CASE WHEN status = 'won' THEN closed_at END
        FROM reporting_order
        WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL
    ) AS contributions
    GROUP BY partner_id, day
"""

ORDERS_SQL = """
    INSERT INTO reporting_order (external_id, partner_id, product_id, status, amount, cost,
        quantity, channel, new_account, ordered_at, closed_at, ingested_at, updated_at)
    SELECT 'rc-' || g,
           p.ids[1 + g %% p.n],
           CASE WHEN g %% 4 = 0 THEN NULL ELSE pr.ids[1 + g %% 3] END,
           s.status,
           s.amount,
           round(s.amount * (30 + g %% 60) / 100, 2),
           1 + g %% 9,
           (ARRAY['online_store', 'display_shelf', 'direct', 'other'])[1 + (g / 7) %% 4],
           g %% 10 = 0,
           s.ordered_at,
           CASE WHEN s.status = 'open' THEN NULL
                ELSE s.ordered_at + ((g * 31) %% 10) * interval '1 day' END,
           now(), now()
    FROM generate_series(0, %(orders)s - 1) AS g
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
                FROM partners_partner) p
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM partners_product) pr
    CROSS JOIN LATERAL (
        SELECT CASE WHEN g %% 20 < 11 THEN 'won' WHEN g %% 20 < 14 THEN 'lost'
                    ELSE 'open' END AS status,
               round((100 + (g::bigint * 7919) %% 500000) / 100.0, 2) AS amount,
               (%(start)s::date + ((g / p.n) %% %(days)s))::timestamp AT TIME ZONE %(tz)s
                   + ((g::bigint * 7919) %% 86400) * interval '1 second' AS ordered_at
    ) s
"""


def partners_fast(tenant: Any, count: int) -> None:
    """One partner by partner_create, the rest copies of its row with new ref and name."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from partners.services import partner_create, product_create
    from prm.accounts.models import Role
    from prm.accounts.services import user_create

    started = time.perf_counter()
    with tenant_context(tenant):
        manager = user_create(
            email="manager@bench.example", password=None, role=Role.MANAGER, check_password=False
        )
        for index in range(3):
            product_create(actor=None, sku=f"sku-{index}", name=f"Product {index}")
        first = partner_create(
            actor=None, ref="p00000", name="Partner 0", channel_manager=manager, status="active"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'partners_partner' "
                "AND column_name NOT IN ('id', 'ref', 'name') ORDER BY ordinal_position"
            )
            others = ", ".join(row[0] for row in cursor.fetchall())
            cursor.execute(
                f"INSERT INTO partners_partner (ref, name, {others}) "
                f"SELECT 'p' || lpad(g::text, 5, '0'), 'Partner ' || g, {others} "
                f"FROM partners_partner, generate_series(1, %s - 1) AS g WHERE id = %s",
                [count, first.pk],
            )
    print(f"{count} partners created in {time.perf_counter() - started:.1f} s", flush=True)


def orders_generate(tenant: Any, *, orders: int, days: int, time_zone: str) -> None:
    from django.db import connection
    from django_tenants.utils import tenant_context

    started = time.perf_counter()
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            ORDERS_SQL, {"orders": orders, "days": days, "tz": time_zone, "start": "2025-01-01"}
        )
        cursor.execute("ANALYZE reporting_order")
        cursor.execute("ANALYZE partners_partner")
    print(f"{orders} orders generated in {time.perf_counter() - started:.1f} s", flush=True)


def run_product(tenant: Any) -> tuple[float, int]:
    from django_tenants.utils import tenant_context

    from reporting.rollups import recompute

    with tenant_context(tenant):
        started = time.perf_counter()
        written = recompute()
        return time.perf_counter() - started, written


def run_bare(tenant: Any, time_zone: str) -> tuple[float, int]:
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    with tenant_context(tenant):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM reporting_dailyrollup")
            cursor.execute(BARE_SQL, {"tz": time_zone})
            written = cursor.rowcount
        return time.perf_counter() - started, written


def vacuum(tenant: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # Both tables the product writes, as autovacuum would between recomputes.
        cursor.execute(f"VACUUM {tenant.schema_name}.reporting_dailyrollup")
        cursor.execute(f"VACUUM {tenant.schema_name}.reporting_spanrollup")


def keep_copy(tenant: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS public.bench_product_rows")
        cursor.execute(
            f"CREATE TABLE public.bench_product_rows AS SELECT {COLUMNS} "
            f"FROM {tenant.schema_name}.reporting_dailyrollup"
        )


def differences(tenant: Any) -> tuple[int, int]:
    """(rows only the product wrote, rows only the bare query wrote)."""
    from django.db import connection

    table = f"{tenant.schema_name}.reporting_dailyrollup"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM public.bench_product_rows "
            f"EXCEPT ALL SELECT {COLUMNS} FROM {table}) a), "
            f"(SELECT count(*) FROM (SELECT {COLUMNS} FROM {table} "
            f"EXCEPT ALL SELECT * FROM public.bench_product_rows) b)"
        )
        only_product, only_bare = cursor.fetchone()
        cursor.execute("DROP TABLE public.bench_product_rows")
    return int(only_product), int(only_bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per path")
    parser.add_argument("--time-zone", default="Europe/Amsterdam")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()

    started = time.perf_counter()
    with benchlib.bench_database(options, "recompute"):
        tenant = benchlib.tenant_setup(time_zone=options.time_zone)
        partners_fast(tenant, options.partners)
        orders_generate(
            tenant, orders=options.orders, days=options.days, time_zone=options.time_zone
        )
        environment = benchlib.environment_lines()

        took, rows = run_product(tenant)
        vacuum(tenant)
        print(f"warm-up product recompute {took:.2f} s, {rows} rollup rows", flush=True)

        times: dict[str, list[float]] = {"product": [], "bare": []}
        written: dict[str, int] = {}
        identical: tuple[int, int] | None = None
        for run in range(options.runs):
            order = ["product", "bare"] if run % 2 == 0 else ["bare", "product"]
            for path in order:
                if path == "product":
                    took, written[path] = run_product(tenant)
                else:
                    took, written[path] = run_bare(tenant, options.time_zone)
                times[path].append(took)
                print(f"run {run + 1} {path:<8} {took:7.2f} s {written[path]} rows", flush=True)
                if run == 0 and path == order[0]:
                    keep_copy(tenant)
                if run == 0 and path == order[1]:
                    only_first, only_second = differences(tenant)
                    identical = (
                        (only_first, only_second)
                        if order[0] == "product"
                        else (only_second, only_first)
                    )
                vacuum(tenant)

        median = {path: statistics.median(values) for path, values in times.items()}
        best = {path: min(values) for path, values in times.items()}
        # Other processes on the machine only ever add time, so the best run of each
        # path is the verdict; the medians are printed too.
        ratio = best["product"] / best["bare"]
        assert identical is not None
        same = identical == (0, 0) and written["product"] == written["bare"]
        lines = [
            "",
            f"prm bench/recompute.py: full rollup recompute of {options.orders} orders, "
            f"{options.partners} partners x {options.days} days, tenant zone {options.time_zone}",
            *environment,
            "",
            f"{'path':<10} {'rows written':>12} {'runs (s)':>26} {'median':>8} {'best':>8}",
        ]
        lines.append("-" * len(lines[-1]))
        for path, values in times.items():
            runs = " ".join(f"{value:.2f}" for value in values)
            lines.append(
                f"{path:<10} {written[path]:>12} {runs:>26} {median[path]:8.2f} {min(values):8.2f}"
            )
        lines += [
            "",
            f"same rows: {'yes' if same else 'NO'} (rows only in product: {identical[0]}, "
            f"only in bare: {identical[1]})",
            f"product / bare: best of {options.runs} {ratio:.2f}, medians "
            f"{median['product'] / median['bare']:.2f}; target <= {TARGET_RATIO} (best): "
            f"{benchlib.verdict(ratio <= TARGET_RATIO)}",
        ]
        print("\n".join(lines))
        benchlib.write_results(
            "recompute",
            {
                "environment": environment,
                "options": vars(options) | {"database_url": None},
                "seconds": times,
                "rows_written": written,
                "same_rows": same,
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
