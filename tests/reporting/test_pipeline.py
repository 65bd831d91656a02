"""The whole pipeline on real Celery workers: rows accepted over HTTP reach the rollups
through the outbox, and stay exact when a worker is SIGKILLed half-way through a fold
or when Redis (broker and cache) goes away during ingestion."""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection

from prm.tenancy.tasks import dispatch
from reporting import ingest as ingest_module
from reporting import rollups, tasks
from reporting.models import Order, PendingRollup
from tests.conftest import TenantClient, tenant_schema
from tests.reporting.activity import (
    accepted,
    call,
    contact,
    inventory,
    order,
    pending_count,
    rollup_rows,
    rollups_after_recompute,
    send,
)
from tests.reporting.conftest import Catalogue, CommittedAlpha
from tests.reporting.workers import (
    PrivateRedis,
    Worker,
    backends,
    broker,
    side_connection,
    start_worker,
)
from tests.waiting import wait_for


def activity(
    catalogue: Catalogue, prefix: str, days: int, first_day: date
) -> dict[str, list[dict[str, Any]]]:
    """Orders, calls, contacts and snapshots of every partner on each of `days` days."""
    rows: dict[str, list[dict[str, Any]]] = {
        "orders": [],
        "calls": [],
        "contacts": [],
        "inventory": [],
    }
    for number, name in enumerate(catalogue.partners):
        ref = catalogue.ref(name)
        for offset in range(days):
            day = (first_day + timedelta(days=offset)).isoformat()
            key = f"{prefix}-{name}-{offset}"
            status = ("won", "lost", "open")[(offset + number) % 3]
            rows["orders"].append(
                order(
                    f"{key}-o",
                    ref,
                    status=status,
                    amount=f"{10 + offset}.{number}5",
                    cost=f"{offset % 7}.10",
                    quantity=1 + offset % 4,
                    channel=("online_store", "display_shelf", "direct")[offset % 3],
                    ordered_at=f"{day}T08:00:00Z",
                    closed_at=f"{day}T17:30:00Z",
                )
            )
            rows["calls"].append(
                call(f"{key}-c", ref, duration_seconds=offset, occurred_at=f"{day}T09:00:00Z")
            )
            rows["contacts"].append(contact(f"{key}-l", ref, created_at=f"{day}T10:00:00Z"))
            rows["inventory"].append(
                inventory(
                    f"{key}-i",
                    ref,
                    product=catalogue.sku("gadget"),
                    items_listed=offset * 3 + number,
                    observed_at=f"{day}T11:00:00Z",
                )
            )
    return rows


def send_all(client: TenantClient, batch: dict[str, list[dict[str, Any]]]) -> None:
    for kind, rows in batch.items():
        body = accepted(send(client, kind, rows, form="ndjson"))
        assert body["errors"] == [], (kind, body["errors"][:3])


def moved(batch: dict[str, list[dict[str, Any]]], days: int) -> dict[str, list[dict[str, Any]]]:
    """Every other order of `batch`, won and closed `days` days later, with more money."""
    changed = []
    for row in batch["orders"][::2]:
        closed = date.fromisoformat(row["ordered_at"][:10]) + timedelta(days=days)
        changed.append(
            {**row, "status": "won", "amount": "999.99", "closed_at": f"{closed}T12:00:00Z"}
        )
    return {"orders": changed}


def status(client: TenantClient) -> dict[str, Any]:
    response = client.get("/api/v1/metrics/status/")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def alpha_pending(tenant: Any) -> int:
    with tenant_schema(tenant):
        return pending_count()


# --- the live worker --------------------------------------------------------------------------


@pytest.mark.worker
def test_the_worker_folds_what_was_ingested(committed_alpha: CommittedAlpha, tenant_a: Any) -> None:
    catalogue, api = committed_alpha.catalogue, committed_alpha.api
    ids = catalogue.partner_ids

    # given activity of every kind accepted over HTTP, then changes moving orders
    # to other days (each commit queues a fold on the session's worker)
    batch = activity(catalogue, "live", days=20, first_day=date(2026, 1, 20))
    send_all(api, batch)
    send_all(api, moved(batch, days=3))

    # when the worker has caught up, as the status endpoint tells
    wait_for(lambda: status(api)["pending"] == 0, timeout=60)

    # then the rollups it wrote are exactly those a rebuild from raw rows gives
    assert status(api)["as_of"] is not None
    with tenant_schema(tenant_a):
        incremental = rollup_rows(ids)
        assert len(incremental) > 20 * 3
        assert incremental == rollups_after_recompute(ids)


# --- a worker killed in the middle of a fold --------------------------------------------------


def test_a_worker_killed_mid_fold_leaves_the_rollups_exact(
    committed_alpha: CommittedAlpha, tenant_a: Any, tmp_path: Path, workers: list[Worker]
) -> None:
    catalogue, api = committed_alpha.catalogue, committed_alpha.api
    ids = catalogue.partner_ids
    queue = f"reporting-fault-{uuid.uuid4().hex[:8]}"
    # (rows are accepted without queuing folds on the session's worker: the folds
    # here are the ones this test runs, on its own workers and queue)
    with mock.patch.object(ingest_module, "schedule_fold") as schedule_fold:
        # given activity, folded
        batch = activity(catalogue, "fault", days=60, first_day=date(2026, 1, 1))
        send_all(api, batch)
        assert schedule_fold.called
        with tenant_schema(tenant_a):
            rollups.fold_all()
            before = rollup_rows(ids)

        # and changes to it, moving orders to other days: many keys pending
        send_all(api, moved(batch, days=5))
    pending = alpha_pending(tenant_a)
    assert pending > 150

    # when a worker folds them, and is SIGKILLed in the middle of its fold: after it
    # rewrote the rollups, before it committed (the rollup state row it writes last
    # is locked by another session meanwhile)
    holder = side_connection()
    try:
        with holder.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{tenant_a.schema_name}"')
            cursor.execute("SELECT id FROM reporting_rollupstate WHERE id = 1 FOR UPDATE")
            assert cursor.fetchone() == (1,)
        # (the worker that takes over later starts now too, on a queue of its own)
        first = start_worker(label="fold-killed", folder=tmp_path, queue=queue)
        second = start_worker(label="fold-restarted", folder=tmp_path, queue=f"{queue}-after")
        workers.extend([first, second])
        first.wait_ready()
        with tenant_schema(tenant_a):
            tasks.fold_pending.apply_async(queue=queue)

        def stuck_in_fold() -> bool:
            return any(
                backend["wait_event_type"] == "Lock" and "reporting_rollupstate" in backend["query"]
                for backend in backends(first.application_name)
            )

        wait_for(stuck_in_fold, timeout=60)
        with tenant_schema(tenant_a), connection.cursor() as cursor:
            # (the fold's transaction holds the outbox keys it took)
            cursor.execute(
                "SELECT count(*) FROM "
                "(SELECT id FROM reporting_pendingrollup FOR UPDATE SKIP LOCKED) free"
            )
            assert cursor.fetchone() == (0,)
        first.kill()
        assert first.process.returncode == -signal.SIGKILL
    finally:
        holder.rollback()
        holder.close()
    # (its database session ends as soon as it finds its client gone)
    wait_for(lambda: not backends(first.application_name), timeout=30)

    # then nothing of the killed fold remains: the keys are all still pending, and
    # the rollups are as they were
    assert alpha_pending(tenant_a) == pending
    with tenant_schema(tenant_a):
        assert rollup_rows(ids) == before

    # when another worker is up and a fold is queued (the beat sweep's job; the killed
    # worker's own message would only come back after the visibility timeout)
    second.wait_ready()
    with tenant_schema(tenant_a):
        tasks.fold_pending.apply_async(queue=f"{queue}-after")
    wait_for(lambda: alpha_pending(tenant_a) == 0, timeout=60)

    # then the totals are exactly what a rebuild from raw rows gives
    with tenant_schema(tenant_a):
        folded = rollup_rows(ids)
        assert folded != before
        assert folded == rollups_after_recompute(ids)


# --- Redis gone during ingestion --------------------------------------------------------------


def test_ingestion_answers_while_redis_is_down_and_rollups_catch_up(
    committed_alpha: CommittedAlpha,
    private_redis: PrivateRedis,
    tenant_a: Any,
    tmp_path: Path,
    workers: list[Worker],
    settings: Any,
) -> None:
    catalogue, api = committed_alpha.catalogue, committed_alpha.api
    ids = catalogue.partner_ids
    # (this process tries Redis again a second after the outage, not 5 s: prm.breaker)
    settings.PRM_REDIS_BREAKER_SECONDS = 1.0

    # given activity accepted while Redis is up: its fold is queued there
    batch = activity(catalogue, "outage", days=10, first_day=date(2026, 2, 1))
    send_all(api, batch)
    assert not private_redis.idle(), "ingestion queued no fold"

    # when Redis stops (taking the queued folds with it: it keeps nothing on disk), and
    # more activity comes, changing the earlier rows too
    private_redis.stop()
    later = activity(catalogue, "outage-later", days=5, first_day=date(2026, 2, 20))
    started = time.monotonic()
    send_all(api, later)
    send_all(api, moved(batch, days=2))
    took = time.monotonic() - started

    # then every request was answered, quickly, and the rows and outbox keys stored
    assert took < 10, f"5 ingestion requests took {took:.1f}s with Redis down"
    with tenant_schema(tenant_a):
        assert (
            Order.objects.filter(
                partner_id__in=ids, external_id__startswith="outage-later-"
            ).count()
            == 15
        )
        assert Order.objects.filter(partner_id__in=ids, amount="999.99").count() == 15
        assert PendingRollup.objects.filter(partner_id__in=ids).count() > 0
    assert status(api)["pending"] > 0

    # when Redis is back, a worker runs, and the beat sweep queues its fold
    private_redis.start()
    worker = start_worker(label="redis-back", folder=tmp_path, redis_url=private_redis.url())
    workers.append(worker)
    worker.wait_ready()
    dispatch.delay("reporting.fold_pending")

    # then every key is folded, those whose fold was lost with Redis included, and
    # the totals are exactly a rebuild's
    try:
        wait_for(lambda: alpha_pending(tenant_a) == 0, timeout=60)
    except AssertionError as error:
        raise AssertionError(f"{error}\nworker log:\n{worker.log_tail()}") from None
    with tenant_schema(tenant_a):
        assert rollup_rows(ids) == rollups_after_recompute(ids)


def test_queuing_a_fold_does_not_hang_on_a_broker_that_does_not_answer(
    db: None, tenant_a: Any, tmp_path: Path
) -> None:
    # given a broker that accepts connections and never answers (a paused Redis),
    # while the cache works
    redis = PrivateRedis(tmp_path).start()
    assert redis.process is not None
    os.kill(redis.process.pid, signal.SIGSTOP)
    try:
        with broker(redis.url()), tenant_schema(tenant_a):
            cache.delete(tasks._debounce_key())

            # when an ingestion's commit queues a fold, twice
            started = time.monotonic()
            tasks.schedule_fold()
            first = time.monotonic() - started
            started = time.monotonic()
            tasks.schedule_fold()
            second = time.monotonic() - started

            # then the first gives up within seconds, without raising, and the second
            # does not even try (the sweep folds meanwhile)
            assert first < 4, f"queuing a fold took {first:.1f}s"
            assert second < 0.5
            cache.delete(tasks._debounce_key())
    finally:
        os.kill(redis.process.pid, signal.SIGCONT)
        redis.stop()
