"""Rows per second through the HTTP bulk ingestion endpoint, against raw COPY and
against a textbook DRF serializer endpoint, on the same rows and the same database.

Run:  .venv/bin/python bench/ingest.py [--rows 200000] [--partners 500]
          [--formats ndjson,csv] [--serializer-rows N] [--repeat 1]
          [--database-url postgres://...] [--redis-url redis://...] [--keep-database]

What it does
------------
1. Creates its own database ``prm_bench_ingest_<time>_<pid>``, runs ``migrate_all``
   and provisions the tenant ``bench`` (``tenant_provision``), creates ``--partners``
   partners with ``partner_create``, three products and an API key (read, write).
2. Starts ``gunicorn prm.wsgi:application`` (2 sync workers) on a free port with
   bench/bench_settings.py: the product's settings with DEBUG off and a URLconf that
   adds bench/bench_urls.py's comparison endpoint to the product's URLs.
3. Generates ``--rows`` orders once (fixed seed: a year of orders of every status,
   channel and product, amounts as strings, ISO times with offsets) and times, one
   after the other, on an emptied ``reporting_order`` each time (TRUNCATE and
   CHECKPOINT between paths, untimed):

   COPY
       ``COPY reporting_order (...) FROM STDIN`` of the same rows, partners and
       products already resolved to ids, from a buffer built before the clock
       starts, committed. The speed of light for getting these rows into this table
       with its indexes and foreign keys; no validation, no upsert, no outbox.
   HTTP ndjson / HTTP csv
       ``POST /api/v1/activity/orders/`` with ``Authorization: Bearer <key>``, the
       whole body in one request (``application/x-ndjson`` or ``text/csv``), timed
       from the first byte sent to the last byte of the response, as a client sees
       it. The product path: streamed parsing, validation of every field, partner
       and product lookups, COPY into a staging table, one upsert-and-outbox
       statement per batch of 5,000, a commit per batch.
   DRF serializer
       ``POST /bench/orders-serializer/`` with a JSON array of the same rows: DRF's
       ``JSONParser``, ``OrderSerializer(many=True)`` (a ``ModelSerializer``) and one
       ``bulk_create`` (see bench/bench_urls.py). It does some three queries per
       row (partner and product by SlugRelatedField, the UniqueValidator of
       external_id), which makes it about a hundred times slower, so by default it
       gets only the first ``--serializer-rows`` (5,000) of the same rows (0: all of
       them); the figure is rows per second either way.

   After each path the bench checks that the table holds exactly the rows sent.
   With ``--repeat`` > 1 the paths run that many times, interleaved, and the best
   run of each counts.
4. Prints rows/s per path, the ratios ``HTTP / COPY`` (target >= 0.30) and
   ``HTTP / serializer`` (target >= 10), and drops the database. The exit status is
   0 whenever the bench ran; the verdict is in the output.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

COPY_TARGET = 0.30
SERIALIZER_TARGET = 10.0
ORDER_FIELDS = (
    "external_id",
    "partner",
    "product",
    "status",
    "amount",
    "cost",
    "quantity",
    "channel",
    "new_account",
    "ordered_at",
    "closed_at",
)
COPY_COLUMNS = (
    "external_id, partner_id, product_id, status, amount, cost, quantity, channel, "
    "new_account, ordered_at, closed_at, ingested_at, updated_at"
)
SKUS = ("sku-0", "sku-1", "sku-2")
CHANNELS = ("online_store", "display_shelf", "direct", "other")


def make_orders(count: int, refs: list[str], seed: int = 5) -> list[dict[str, Any]]:
    """`count` valid orders, as an integrator would send them (JSON types)."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    year = 365 * 86400
    rows = []
    for index in range(count):
        roll = rng.random()
        status = "won" if roll < 0.55 else "lost" if roll < 0.70 else "open"
        ordered = start + timedelta(seconds=rng.randrange(year))
        closed = (
            ordered + timedelta(seconds=rng.randrange(20 * 86400)) if status != "open" else None
        )
        amount = rng.randrange(100, 500_000)
        rows.append(
            {
                "external_id": f"ord-{index:09d}",
                "partner": refs[rng.randrange(len(refs))],
                "product": SKUS[index % 3] if index % 4 else None,
                "status": status,
                "amount": f"{amount / 100:.2f}",
                "cost": f"{amount * rng.randrange(30, 90) / 10000:.2f}",
                "quantity": rng.randrange(1, 20),
                "channel": CHANNELS[rng.randrange(4)],
                "new_account": rng.random() < 0.1,
                "ordered_at": ordered.isoformat(),
                "closed_at": closed.isoformat() if closed else None,
            }
        )
    return rows


def as_ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()


def as_json_array(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, separators=(",", ":")).encode()


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ORDER_FIELDS)
    for row in rows:
        writer.writerow(
            [
                ("true" if row[name] else "false")
                if name == "new_account"
                else ("" if row[name] is None else row[name])
                for name in ORDER_FIELDS
            ]
        )
    return out.getvalue().encode()


def as_copy(rows: list[dict[str, Any]], partners: dict[str, int], products: dict[str, int]) -> str:
    now = datetime.now(UTC).isoformat()
    lines = []
    for row in rows:
        product = products[row["product"]] if row["product"] else None
        lines.append(
            "\t".join(
                [
                    row["external_id"],
                    str(partners[row["partner"]]),
                    "\\N" if product is None else str(product),
                    row["status"],
                    row["amount"],
                    row["cost"],
                    str(row["quantity"]),
                    row["channel"],
                    "t" if row["new_account"] else "f",
                    row["ordered_at"],
                    row["closed_at"] or "\\N",
                    now,
                    now,
                ]
            )
        )
    return "\n".join(lines) + "\n"


@dataclass
class PathResult:
    name: str
    rows: int
    bytes: int
    runs: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def rate(self) -> float:
        return self.rows / self.best


class IngestBench:
    def __init__(self, tenant: Any, server: benchlib.Server, key: str) -> None:
        self.tenant = tenant
        self.server = server
        self.auth = {"Authorization": f"Bearer {key}"}

    def truncate(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {self.tenant.schema_name}.reporting_order, "
                f"{self.tenant.schema_name}.reporting_pendingrollup, "
                f"{self.tenant.schema_name}.reporting_dailyrollup"
            )

    def reset(self) -> None:
        """Empty tables and a fresh checkpoint, so that every path starts alike."""
        from django.db import connection

        self.truncate()
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")

    def stored(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.tenant.schema_name}.reporting_order")
            return int(cursor.fetchone()[0])

    def copy(self, buffer: str) -> float:
        from django.db import connection, transaction

        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {self.tenant.schema_name}.reporting_order ({COPY_COLUMNS}) FROM STDIN",
                io.StringIO(buffer),
            )
        return time.perf_counter() - started

    def post(self, path: str, body: bytes, content_type: str) -> tuple[float, Any]:
        status, answer, took = self.server.request(
            "POST",
            path,
            body=body,
            headers={**self.auth, "Content-Type": content_type},
        )
        if status != 200:
            raise RuntimeError(f"POST {path} answered {status}: {str(answer)[:500]}")
        return took, answer


def report(results: list[PathResult], rows: int, environment: list[str]) -> list[str]:
    lines = ["", f"prm bench/ingest.py: {rows} orders, rows per second", *environment, ""]
    header = f"{'path':<20} {'rows':>8} {'MB':>7} {'runs (s)':>22} {'rows/s':>9}"
    lines += [header, "-" * len(header)]
    for result in results:
        runs = " ".join(f"{run:.2f}" for run in result.runs)
        lines.append(
            f"{result.name:<20} {result.rows:>8} {result.bytes / 1e6:7.1f} {runs:>22} "
            f"{result.rate:9.0f}"
        )
    by_name = {result.name: result for result in results}
    copy = by_name["COPY"].rate
    serializer = by_name.get("DRF serializer")
    lines += ["", "ratios (rows/s) and targets:"]
    for result in results:
        if not result.name.startswith("HTTP"):
            continue
        to_copy = result.rate / copy
        lines.append(
            f"  {result.name:<12} / COPY           {to_copy:6.2f}   target >= {COPY_TARGET:.2f}"
            f"  {benchlib.verdict(to_copy >= COPY_TARGET)}"
        )
        if serializer is not None:
            to_serializer = result.rate / serializer.rate
            lines.append(
                f"  {result.name:<12} / DRF serializer {to_serializer:6.1f}   "
                f"target >= {SERIALIZER_TARGET:.0f}    "
                f"{benchlib.verdict(to_serializer >= SERIALIZER_TARGET)}"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--formats", default="ndjson,csv", help="ndjson and/or csv")
    parser.add_argument(
        "--serializer-rows",
        type=int,
        default=5000,
        help="send only the first N rows on the DRF path (0: all); the figure is rows/s",
    )
    parser.add_argument("--no-serializer", action="store_true", help="skip the DRF path")
    parser.add_argument("--repeat", type=int, default=1, help="runs per path; the best counts")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()
    formats = [name.strip() for name in options.formats.split(",") if name.strip()]
    assert set(formats) <= {"ndjson", "csv"}, formats

    started = time.perf_counter()
    with (
        benchlib.bench_database(options, "ingest"),
        tempfile.TemporaryDirectory(prefix="prm-bench-ingest-") as scratch,
    ):
        from django_tenants.utils import tenant_context

        from partners.models import Product

        tenant = benchlib.tenant_setup()
        partners = benchlib.partners_create(tenant, options.partners)
        with tenant_context(tenant):
            products = dict(Product.objects.values_list("sku", "id"))
        key = benchlib.api_key_create(tenant)
        environment = benchlib.environment_lines()

        rows = make_orders(options.rows, sorted(partners))
        serializer_rows = min(options.serializer_rows or options.rows, options.rows)
        warm_up = make_orders(8, sorted(partners), seed=99)
        for row in warm_up:
            row["external_id"] = "warm-" + row["external_id"]
        bodies = {
            "ndjson": as_ndjson(rows),
            "csv": as_csv(rows),
        }
        copy_buffer = as_copy(rows, partners, products)
        serializer_body = as_json_array(rows[:serializer_rows])
        del rows

        server = benchlib.Server(
            workers=2, log=Path(scratch) / "gunicorn.log", host=benchlib.tenant_host()
        )
        try:
            bench = IngestBench(tenant, server, key)
            # Each server worker's first requests import and connect (database, broker);
            # a few tiny requests on both endpoints first, untimed.
            for row in warm_up:
                bench.post("/api/v1/activity/orders/", as_ndjson([row]), "application/x-ndjson")
                bench.post(
                    "/bench/orders-serializer/",
                    as_json_array([{**row, "external_id": f"{row['external_id']}-drf"}]),
                    "application/json",
                )
            bench.truncate()
            results = [PathResult("COPY", options.rows, len(copy_buffer.encode()))]
            results += [
                PathResult(f"HTTP {name}", options.rows, len(bodies[name])) for name in formats
            ]
            if not options.no_serializer:
                results.append(PathResult("DRF serializer", serializer_rows, len(serializer_body)))
            for run in range(options.repeat):
                for result in results:
                    bench.reset()
                    if result.name == "COPY":
                        took = bench.copy(copy_buffer)
                    elif result.name.startswith("HTTP"):
                        name = result.name.split()[1]
                        content_type = "text/csv" if name == "csv" else "application/x-ndjson"
                        took, answer = bench.post(
                            "/api/v1/activity/orders/", bodies[name], content_type
                        )
                        if answer["created"] != result.rows or answer["errors"]:
                            raise RuntimeError(f"{result.name}: {str(answer)[:500]}")
                    else:
                        took, answer = bench.post(
                            "/bench/orders-serializer/", serializer_body, "application/json"
                        )
                    if bench.stored() != result.rows:
                        raise RuntimeError(f"{result.name}: {bench.stored()} rows stored")
                    result.runs.append(took)
                    print(
                        f"run {run + 1} {result.name:<15} {took:7.2f} s "
                        f"{result.rows / took:9.0f} rows/s",
                        flush=True,
                    )
            bench.reset()
        finally:
            server.stop()
        print("\n".join(report(results, options.rows, environment)))
        benchlib.write_results(
            "ingest",
            {
                "environment": environment,
                "paths": [
                    {"path": r.name, "rows": r.rows, "bytes": r.bytes, "seconds": r.runs}
                    for r in results
                ],
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
