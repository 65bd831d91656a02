"""Fairness between tenants: tenant B's metrics lag while tenant A runs two big imports.

Tenant A uploads two partner imports of --rows rows each (40,000 by default); while
they are being checked and imported, tenant B's integrator posts one order a second
and the bench times each until B's `/api/v1/metrics/status/` says `pending: 0`.

It runs twice, on two layouts of Celery workers, each with beat embedded in the
default worker as the run command has it:
  - product: the run command's and compose's layout, a worker on the default queue
    (folds) and one on the heavy queues (bulk, webhooks), `-c --concurrency` each;
  - shared: one worker consuming every queue, `-c --concurrency`, no tenant shares
    (the layout before the heavy queues had workers of their own; the baseline).

Target (issue #13): with the product's layout every one of B's orders is in its
metrics within 5 s. Prints p50 / p95 / max for both layouts and their ratio.

    .venv/bin/python bench/fairness.py [--rows 40000] [--window 90]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

TARGET_SECONDS = 5.0
MANAGER = "importer@bench.example"


def partners_csv(prefix: str, rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["ref", "name", "domain", "phone", "country", "products", "channel_manager", "tags"]
    )
    for number in range(rows):
        writer.writerow(
            [
                f"{prefix}-{number:05d}",
                f"{prefix.title()} Reseller {number} Ltd",
                f"{prefix}-{number:05d}.example",
                "+44 20 7946 0958",
                "GB",
                "",
                MANAGER,
                "imported",
            ]
        )
    return out.getvalue().encode()


def start_worker(
    *,
    name: str,
    queues: str,
    concurrency: int,
    log: Path,
    beat: Path | None,
    unshared: bool = False,
) -> Any:
    from django.conf import settings

    environment = {
        **os.environ,
        **benchlib.bench_environment(os.environ["DATABASE_URL"], settings.REDIS_URL),
    }
    if unshared:  # the baseline: a tenant may hold every worker
        environment["PRM_TENANT_BULK_CONCURRENCY"] = "1000"
        environment["PRM_TENANT_WEBHOOK_CONCURRENCY"] = "1000"
    command = [
        str(benchlib.VENV_BIN / "celery"),
        "-A",
        "prm",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "-l",
        "WARNING",
        "-n",
        f"{name}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat is not None:
        command += ["-B", "-s", str(beat)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=benchlib.REPO,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process


def wait_for_workers(count: int) -> None:
    from prm.celery import app

    deadline = time.monotonic() + 60
    while len(app.control.ping(timeout=0.5)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not answer a ping in time")


def import_states(tenant: Any, ids: list[int]) -> list[str]:
    from django_tenants.utils import tenant_context

    from partners.models import ImportJob

    with tenant_context(tenant):
        states = dict(ImportJob.objects.filter(pk__in=ids).values_list("pk", "state"))
    return [states[pk] for pk in ids]


def run_layout(
    *,
    layout: str,
    options: argparse.Namespace,
    heavy: Any,
    server: benchlib.Server,
    key: str,
    ref: str,
    scratch: Path,
) -> dict[str, Any]:
    from django_tenants.utils import tenant_context

    from partners.imports import import_job_create, import_job_start
    from partners.models import ImportJob, ImportState

    if layout == "product":
        processes = [
            start_worker(
                name="default",
                queues="celery",
                concurrency=options.concurrency,
                log=scratch / f"{layout}-default.log",
                beat=scratch / f"{layout}-beat",
            ),
            start_worker(
                name="bulk",
                queues="bulk,webhooks",
                concurrency=options.concurrency,
                log=scratch / f"{layout}-bulk.log",
                beat=None,
            ),
        ]
    else:
        processes = [
            start_worker(
                name="shared",
                queues="celery,bulk,webhooks",
                concurrency=options.concurrency,
                log=scratch / f"{layout}-shared.log",
                beat=scratch / f"{layout}-beat",
                unshared=True,
            )
        ]
    auth = {"Authorization": f"Bearer {key}"}
    lags: list[float | None] = []
    try:
        wait_for_workers(len(processes))
        with tenant_context(heavy):
            jobs = [
                import_job_create(
                    actor=None,
                    filename=f"{layout}-{number}.csv",
                    content=partners_csv(f"{layout}{number}", options.rows),
                ).pk
                for number in range(2)
            ]
        print(f"  {layout}: two imports of {options.rows} rows queued in tenant A", flush=True)
        started = time.monotonic()
        number = 0
        while time.monotonic() - started < options.window:
            # A checked import is started at once, as its uploader would.
            with tenant_context(heavy):
                for job in ImportJob.objects.filter(pk__in=jobs, state=ImportState.VALIDATED):
                    if job.valid_rows:
                        import_job_start(job=job)
            body = {
                "external_id": f"{layout}-{number}",
                "partner": ref,
                "status": "won",
                "amount": "10.00",
                "ordered_at": "2026-11-02T09:00:00Z",
                "closed_at": "2026-11-02T10:00:00Z",
            }
            status, answer, _ = server.request(
                "POST",
                "/api/v1/activity/orders/",
                body=json.dumps(body).encode(),
                headers={**auth, "Content-Type": "application/json"},
            )
            if status != 200:
                raise RuntimeError(f"ingest answered {status}: {answer}")
            sent = time.monotonic()
            lag: float | None = None
            while time.monotonic() - sent < options.give_up:
                _, freshness, _ = server.request("GET", "/api/v1/metrics/status/", headers=auth)
                if freshness.get("pending") == 0:
                    lag = time.monotonic() - sent
                    break
                time.sleep(0.05)
            lags.append(lag)
            number += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - sent)))
        states = import_states(heavy, jobs)
        print(f"  {layout}: tenant A's imports after {options.window:.0f} s: {states}", flush=True)
    finally:
        for process in processes:
            benchlib.stop_process(process)
        # Neither layout leaves work behind for the next one.
        with tenant_context(heavy):
            ImportJob.objects.all().delete()
        # (and no queued task or tenant share is left over either)
        benchlib.redis_flush(options.redis_url)
    return {"layout": layout, "lags": lags, "import_states": states}


def summary(lags: list[float | None], give_up: float) -> tuple[float, float, float, int]:
    """p50, p95, max (an order never folded counts as `give_up`), and how many never."""
    values = sorted(lag if lag is not None else give_up for lag in lags)
    if not values:
        return float("nan"), float("nan"), float("nan"), 0
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return statistics.median(values), p95, values[-1], sum(lag is None for lag in lags)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000, help="rows of each of A's imports")
    parser.add_argument("--window", type=float, default=90.0, help="seconds of B's orders")
    parser.add_argument("--give-up", type=float, default=30.0, help="seconds to wait per order")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    parser.add_argument("--layouts", default="product,shared")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()

    started = time.perf_counter()
    with (
        benchlib.bench_database(options, "fairness"),
        tempfile.TemporaryDirectory(prefix="prm-bench-fairness-") as scratch,
    ):
        heavy = benchlib.tenant_setup(slug="bench")
        from django_tenants.utils import tenant_context

        from prm.accounts.models import Role
        from prm.accounts.services import user_create
        from prm.tenancy.services import tenant_provision

        with tenant_context(heavy):
            user_create(email=MANAGER, password=None, role=Role.MANAGER, check_password=False)

        light = tenant_provision(slug="bench-b", name="Bench Corp (B)", time_zone="UTC")
        refs = benchlib.partners_create(light, 5)
        key = benchlib.api_key_create(light)
        environment = benchlib.environment_lines()
        server = benchlib.Server(
            workers=2, log=Path(scratch) / "gunicorn.log", host=benchlib.tenant_host("bench-b")
        )
        results = []
        try:
            for layout in options.layouts.split(","):
                results.append(
                    run_layout(
                        layout=layout,
                        options=options,
                        heavy=heavy,
                        server=server,
                        key=key,
                        ref=min(refs),
                        scratch=Path(scratch),
                    )
                )
        finally:
            server.stop()

        lines = [
            "",
            "prm bench/fairness.py: tenant B's order -> B's metrics (pending 0), while tenant A"
            f" runs two {options.rows}-row imports",
            *environment,
            f"  one order a second for {options.window:.0f} s; workers -c {options.concurrency}",
            "",
            f"{'layout':<10} {'orders':>7} {'p50 s':>8} {'p95 s':>8} {'max s':>8} {'never':>6}",
        ]
        figures = {}
        for result in results:
            p50, p95, most, never = summary(result["lags"], options.give_up)
            figures[result["layout"]] = (p50, p95, most)
            lines.append(
                f"{result['layout']:<10} {len(result['lags']):>7} {p50:>8.2f} {p95:>8.2f} "
                f"{most:>8.2f} {never:>6}"
            )
        if "product" in figures:
            most = figures["product"][2]
            lines += [
                "",
                f"target: every order of B in its metrics within {TARGET_SECONDS:.0f} s with the"
                f" product's layout: {benchlib.verdict(most <= TARGET_SECONDS)} (max {most:.2f} s)",
            ]
        if "product" in figures and "shared" in figures:
            ratio = figures["product"][2] / figures["shared"][2]
            lines.append(f"ratio to the shared-worker baseline (max lag): {ratio:.3f}")
        lines.append(f"(an order not folded within {options.give_up:.0f} s counts as that)")
        print("\n".join(lines))
        benchlib.write_results(
            "fairness",
            {
                "environment": environment,
                "options": vars(options) | {"database_url": None},
                "results": results,
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
