"""Event-to-metric lag at a sustained event rate, with a real server, a real Celery
worker and the product's own fold scheduling.

Run:  .venv/bin/python bench/lag.py [--rate 1000] [--batch 100] [--duration 30]
          [--clients 2] [--partners 200] [--poll 0.02]
          [--database-url postgres://...] [--redis-url redis://...] [--keep-database]

What an event is
----------------
One order (one activity row). ``--rate`` events per second are sent as batches of
``--batch`` rows, one batch per ``POST /api/v1/activity/orders/`` (NDJSON, API key),
which is how integrators send activity; the default is 100 rows every 100 ms. The
rows are new orders "happening now" for random partners (60 % open, 30 % won, 10 %
lost; won and lost close now), so every batch touches the rollups of today for up to
``--batch`` partners.

What is measured
----------------
For every batch: ``accepted`` is when its HTTP 200 arrived at the client (the rows
are committed and the outbox holds their keys); ``visible`` is the first moment a
reader of the rollups sees every row of the batch, that is when, for every (partner,
day) the batch touched, ``reporting_dailyrollup.orders_opened`` has reached the
number of orders the client had sent for that key up to and including this batch.
The metrics API computes everything from that table only (reporting/metrics.py),
so that is when the batch is readable as metrics. The lag of a batch is ``visible -
accepted``. A poller thread reads the rollups every ``--poll`` seconds on its own
connection, and a batch's ``visible`` is the end of the first poll that saw it, so
the figures are upper bounds by at most one poll interval. ``--clients`` threads
send concurrently, each for its own partners (so per key the sends are ordered);
each thread keeps its own schedule (batch i at start + i * interval) and sends late
batches at once, and the achieved rate is printed.

The machinery is the product's: the ingestion commit calls
``reporting.tasks.schedule_fold`` (queue ``fold_pending`` unless one is queued: a
cache key with a 30 s timeout that the task deletes when it starts), and beat
(embedded with ``celery worker -B``) queues a sweep every 5 s. The worker is
``celery -A prm worker -B`` (prefork, ``--concurrency`` processes), the server
``gunicorn prm.wsgi:application`` (``--server-workers`` sync workers), both on the
bench database and Redis database 11.

At the end the bench checks through the metrics API (``/api/v1/metrics/summary/``
and ``/api/v1/metrics/status/``) that every order sent is counted and nothing is
pending, prints p50 / p95 / p99 / max lag against the target (p95 <= 2 s), and
drops the database. The exit status is 0 whenever the bench ran.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

TARGET_P95 = 2.0
TIME_ZONE = "UTC"


@dataclass
class Batch:
    client: int
    number: int
    rows: int
    # (partner id, tenant-local day) -> orders this client has sent for it so far.
    expected: dict[tuple[int, date], int]
    sent: float = 0.0
    accepted: float = 0.0
    visible: float | None = None
    status: int = 0


@dataclass
class Run:
    batches: list[Batch] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sending: bool = True
    errors: list[str] = field(default_factory=list)
    polls: int = 0
    folds_seen: int = 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


class Client(threading.Thread):
    def __init__(
        self,
        *,
        number: int,
        server: benchlib.Server,
        key: str,
        partners: list[tuple[str, int]],
        interval: float,
        batch: int,
        duration: float,
        start: float,
        run: Run,
    ) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.number = number
        self.server = server
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        self.partners = partners
        self.interval = interval
        self.batch = batch
        self.duration = duration
        self.start_at = start
        self.run_state = run
        self.rng = random.Random(1000 + number)
        self.sent: Counter[tuple[int, date]] = Counter()
        self.zone = ZoneInfo(TIME_ZONE)

    def body(self, sequence: int) -> tuple[bytes, dict[tuple[int, date], int]]:
        now = datetime.now(UTC)
        day = now.astimezone(self.zone).date()
        lines = []
        touched: set[tuple[int, date]] = set()
        for index in range(self.batch):
            ref, partner_id = self.partners[self.rng.randrange(len(self.partners))]
            roll = self.rng.random()
            status = "open" if roll < 0.6 else "won" if roll < 0.9 else "lost"
            amount = self.rng.randrange(100, 100_000)
            lines.append(
                json.dumps(
                    {
                        "external_id": f"lag-{self.number}-{sequence}-{index}",
                        "partner": ref,
                        "status": status,
                        "amount": f"{amount / 100:.2f}",
                        "cost": f"{amount / 300:.2f}",
                        "quantity": self.rng.randrange(1, 5),
                        "channel": "online_store",
                        "ordered_at": now.isoformat(),
                        "closed_at": now.isoformat() if status != "open" else None,
                    },
                    separators=(",", ":"),
                )
            )
            self.sent[(partner_id, day)] += 1
            touched.add((partner_id, day))
        expected = {key: self.sent[key] for key in touched}
        return ("\n".join(lines) + "\n").encode(), expected

    def run(self) -> None:
        connection = self.server.connection()
        sequence = 0
        while True:
            due = self.start_at + sequence * self.interval
            if due - self.start_at >= self.duration:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body, expected = self.body(sequence)
            batch = Batch(self.number, sequence, self.batch, expected)
            batch.sent = time.perf_counter()
            try:
                status, answer, _ = self.server.request(
                    "POST",
                    "/api/v1/activity/orders/",
                    body=body,
                    headers=self.headers,
                    connection=connection,
                )
            except OSError as error:
                connection.close()
                connection = self.server.connection()
                status, answer = 0, str(error)
            batch.accepted = time.perf_counter()
            batch.status = status
            with self.run_state.lock:
                if status == 200 and answer.get("created") == self.batch:
                    self.run_state.batches.append(batch)
                else:
                    self.run_state.errors.append(f"batch {sequence}: {status} {str(answer)[:200]}")
            sequence += 1
        connection.close()


class Poller(threading.Thread):
    """Reads the rollups of today on its own connection and marks batches visible."""

    def __init__(self, *, dsn: str, schema: str, every: float, run: Run) -> None:
        super().__init__(name="poller", daemon=True)
        self.dsn = dsn
        self.schema = schema
        self.every = every
        self.run_state = run
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self.dsn)
        connection.autocommit = True
        last_fold = None
        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    with self.run_state.lock:
                        pending = [b for b in self.run_state.batches if b.visible is None]
                    if pending:
                        days = sorted({day for b in pending for _, day in b.expected})
                        cursor.execute(
                            f"SELECT partner_id, day, orders_opened "
                            f"FROM {self.schema}.reporting_dailyrollup WHERE day = ANY(%s)",
                            [days],
                        )
                        seen = {(row[0], row[1]): row[2] for row in cursor.fetchall()}
                        cursor.execute(f"SELECT folded_at FROM {self.schema}.reporting_rollupstate")
                        folded = cursor.fetchone()
                        now = time.perf_counter()
                        self.run_state.polls += 1
                        if folded and folded[0] != last_fold:
                            last_fold = folded[0]
                            self.run_state.folds_seen += 1
                        for batch in pending:
                            if all(seen.get(key, 0) >= n for key, n in batch.expected.items()):
                                batch.visible = now
                    self.stop.wait(self.every)
        finally:
            connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="events (orders) per second")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between rollup reads")
    parser.add_argument("--server-workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2, help="celery worker processes")
    parser.add_argument("--drain", type=float, default=60.0, help="max seconds to wait after")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()
    interval = options.batch * options.clients / options.rate

    started = time.perf_counter()
    with (
        benchlib.bench_database(options, "lag") as name,
        tempfile.TemporaryDirectory(prefix="prm-bench-lag-") as scratch,
    ):
        tenant = benchlib.tenant_setup(time_zone=TIME_ZONE)
        refs = benchlib.partners_create(tenant, options.partners)
        key = benchlib.api_key_create(tenant)
        environment = benchlib.environment_lines()
        host = benchlib.tenant_host()
        worker = benchlib.Worker(
            log=Path(scratch) / "celery.log",
            beat_schedule=Path(scratch) / "beat-schedule",
            concurrency=options.concurrency,
        )
        server = None
        try:
            server = benchlib.Server(
                workers=options.server_workers, log=Path(scratch) / "gunicorn.log", host=host
            )
            auth = {"Authorization": f"Bearer {key}"}
            # Warm the server workers up (imports, connections, broker) before timing,
            # with orders of a day long past that the checks below do not look at.
            for number in range(options.server_workers * 2):
                warm = {
                    "external_id": f"warm-{number}",
                    "partner": min(refs),
                    "status": "open",
                    "amount": "1.00",
                    "ordered_at": "2020-01-01T12:00:00+00:00",
                }
                server.request(
                    "POST",
                    "/api/v1/activity/orders/",
                    body=json.dumps(warm).encode(),
                    headers={**auth, "Content-Type": "application/x-ndjson"},
                )
            run = Run()
            poller = Poller(
                dsn=benchlib.server_url(options.database_url, name),
                schema=tenant.schema_name,
                every=options.poll,
                run=run,
            )
            poller.start()
            partners = sorted(refs.items())
            start = time.perf_counter() + 0.2
            clients = [
                Client(
                    number=number,
                    server=server,
                    key=key,
                    partners=partners[number :: options.clients],
                    interval=interval,
                    batch=options.batch,
                    duration=options.duration,
                    start=start + number * interval / options.clients,
                    run=run,
                )
                for number in range(options.clients)
            ]
            print(
                f"sending {options.rate:.0f} events/s as {options.batch}-row batches "
                f"from {options.clients} clients for {options.duration:.0f} s",
                flush=True,
            )
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            sent_until = time.perf_counter()
            deadline = sent_until + options.drain
            while time.perf_counter() < deadline:
                with run.lock:
                    if all(b.visible is not None for b in run.batches):
                        break
                time.sleep(0.1)
            poller.stop.set()
            poller.join()

            today = datetime.now(ZoneInfo(TIME_ZONE)).date()
            query = urlencode({"from": today.isoformat(), "to": today.isoformat()})
            _, summary, _ = server.request("GET", f"/api/v1/metrics/summary/?{query}", headers=auth)
            _, freshness, _ = server.request("GET", "/api/v1/metrics/status/", headers=auth)
        finally:
            if server is not None:
                server.stop()
            worker.stop()

        batches = run.batches
        lags = [b.visible - b.accepted for b in batches if b.visible is not None]
        responses = [b.accepted - b.sent for b in batches]
        rows = sum(b.rows for b in batches)
        first = min((b.sent for b in batches), default=0.0)
        last = max((b.accepted for b in batches), default=0.0)
        achieved = rows / (last - first) if last > first else 0.0
        p95 = percentile(lags, 0.95)
        lines = [
            "",
            "prm bench/lag.py: event-to-metric lag (HTTP 200 of a batch -> its rows readable"
            " in the rollups)",
            *environment,
            f"  {options.clients} clients, {options.batch} orders per request, one request "
            f"per {interval * 1000:.0f} ms per client, {options.duration:.0f} s; "
            f"server {options.server_workers} gunicorn workers; celery -B "
            f"-c {options.concurrency}; poll every {options.poll * 1000:.0f} ms",
            "",
            f"  requests accepted        {len(batches):>8}   refused/failed {len(run.errors)}",
            f"  events accepted          {rows:>8}",
            f"  achieved rate            {achieved:>8.0f} events/s (target {options.rate:.0f})",
            f"  HTTP response p50 / p95  {statistics.median(responses) * 1000:>8.0f} / "
            f"{percentile(responses, 0.95) * 1000:.0f} ms",
            f"  batches never visible    {len(batches) - len(lags):>8} (waited "
            f"{options.drain:.0f} s)",
            f"  rollup polls / folds seen {run.polls:>7} / {run.folds_seen}",
            "",
            f"{'lag (s)':<10} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}",
            f"{'':<10} {percentile(lags, 0.50):7.3f} {p95:7.3f} {percentile(lags, 0.99):7.3f} "
            f"{max(lags, default=float('nan')):7.3f}",
            "",
            f"target: p95 <= {TARGET_P95:.1f} s at {options.rate:.0f} events/s: "
            f"{benchlib.verdict(p95 <= TARGET_P95 and achieved >= 0.95 * options.rate)}"
            + ("" if achieved >= 0.95 * options.rate else " (rate not sustained)"),
            "",
            "metrics API at the end: summary orders_opened "
            f"{summary.get('orders_opened') if isinstance(summary, dict) else summary} "
            f"(sent {rows}), status {freshness}",
        ]
        if run.errors:
            lines += ["", "errors (first 5):", *[f"  {error}" for error in run.errors[:5]]]
        print("\n".join(lines))
        benchlib.write_results(
            "lag",
            {
                "environment": environment,
                "options": vars(options) | {"database_url": None},
                "achieved_rate": achieved,
                "lags": lags,
                "responses": responses,
                "errors": run.errors,
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
