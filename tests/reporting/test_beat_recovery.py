"""Recovery with nothing but the running processes: a real worker and a real `celery -A
prm beat` on a Redis of the test's own. Rows accepted while Redis was down reach the
rollups through beat's sweep once Redis and beat are back (no test code queues a
fold), and /healthz names beat when it has been gone longer than its bound."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from prm import breaker
from prm.celery import app
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.reporting.activity import pending_count, rollup_rows, rollups_after_recompute
from tests.reporting.conftest import CommittedAlpha
from tests.reporting.test_pipeline import activity, moved, send_all, status
from tests.reporting.workers import Beat, PrivateRedis, Worker, start_beat, start_worker
from tests.waiting import wait_for

# Beat writes its heartbeat at least every 5 s (prm.beat.HEARTBEAT_SECONDS).
BEAT_MAX_AGE = 8


def health(client: TenantClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    return response.status_code, response.json()


def worker_answers(worker: Worker) -> bool:
    """Whether `worker` answers a ping, asked on a new connection (this process's pool
    still holds connections to the Redis that was stopped)."""
    try:
        return bool(
            breaker.broker_call(
                app,
                lambda broker: app.control.ping(
                    destination=[worker.node], timeout=0.5, connection=broker
                ),
            )
        )
    except Exception:  # not back yet
        return False


def won_totals(*batches: dict[str, list[dict[str, Any]]]) -> tuple[int, Decimal]:
    """Orders won and their revenue, from the rows as last sent (a later row with the
    same external_id replaces an earlier one, as ingestion does)."""
    final: dict[str, dict[str, Any]] = {}
    for batch in batches:
        for row in batch.get("orders", []):
            final[row["external_id"]] = row
    won = [row for row in final.values() if row["status"] == "won"]
    return len(won), sum((Decimal(row["amount"]) for row in won), Decimal("0"))


def test_beat_sweeps_up_what_was_accepted_while_redis_and_beat_were_down(
    committed_alpha: CommittedAlpha,
    private_redis: PrivateRedis,
    tenant_a: Any,
    tmp_path: Path,
    workers: list[Worker | Beat],
    settings: Any,
) -> None:
    catalogue, api = committed_alpha.catalogue, committed_alpha.api
    ids = catalogue.partner_ids
    settings.PRM_HEALTH_BEAT_MAX_AGE = BEAT_MAX_AGE
    # (this process tries Redis again a second after it failed)
    settings.PRM_REDIS_BREAKER_SECONDS = 1.0
    breaker.reset()
    visitor = client_for(tenant_a)

    # given a worker and beat, started as documented, on the private Redis
    worker = start_worker(label="sweep", folder=tmp_path, redis_url=private_redis.url())
    workers.append(worker)
    beat = start_beat(folder=tmp_path, redis_url=private_redis.url())
    workers.append(beat)  # (stopped afterwards, like the workers)
    worker.wait_ready()

    # then /healthz is 200 with beat's own heartbeat, fresh
    try:
        wait_for(lambda: health(visitor)[0] == 200, timeout=30)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{health(visitor)}\nbeat log:\n{beat.log_tail()}") from None
    assert health(visitor)[1]["checks"]["beat"]["age_seconds"] < BEAT_MAX_AGE

    # and activity accepted now is folded
    batch = activity(catalogue, "sweep", days=8, first_day=date(2026, 3, 2))
    send_all(api, batch)
    wait_for(lambda: status(api)["pending"] == 0, timeout=60)

    # when beat stops, for longer than its bound
    beat.stop()

    # then /healthz answers 503 naming beat, and only beat
    def unhealthy() -> dict[str, Any] | None:
        code, body = health(visitor)
        return body if code == 503 else None

    body = wait_for(unhealthy, timeout=30)
    assert body is not None
    assert body["down"] == ["beat"], body
    assert body["checks"]["beat"]["age_seconds"] >= BEAT_MAX_AGE
    assert "celery -A prm beat" in body["checks"]["beat"]["error"]

    # when Redis stops too (taking whatever was queued: it keeps nothing on disk), and
    # activity comes in meanwhile: new rows, and changes moving earlier ones
    private_redis.stop()
    later = activity(catalogue, "sweep-later", days=4, first_day=date(2026, 3, 12))
    changes = moved(batch, days=2)
    started = time.monotonic()
    send_all(api, later)
    send_all(api, changes)
    took = time.monotonic() - started

    # then ingestion accepted every row, promptly, and they wait in the outbox
    assert took < 10, f"5 ingestion requests took {took:.1f}s with Redis down"
    pending = status(api)["pending"]
    assert pending > 0

    # when Redis is back, and a worker with it (Celery's worker exits when Redis goes
    # away while it holds a message, a countdown's say; its supervisor starts it again,
    # as the run command's does), but no beat yet
    private_redis.start()
    worker.stop()
    worker = start_worker(label="sweep-again", folder=tmp_path, redis_url=private_redis.url())
    workers.append(worker)
    wait_for(lambda: worker_answers(worker), timeout=60)
    time.sleep(6)  # longer than the sweep's 5 s

    # then nothing folds them: the folds queued on commit were never published
    assert status(api)["pending"] == pending

    # when beat starts again, on its schedule file
    beat = start_beat(folder=tmp_path, redis_url=private_redis.url())
    workers.append(beat)

    # then its sweep folds every row, and the totals are right: those of a rebuild from
    # the raw rows, and the won orders' count and revenue as sent
    try:
        wait_for(lambda: status(api)["pending"] == 0, timeout=60)
    except AssertionError as error:
        raise AssertionError(
            f"{error}\nbeat log:\n{beat.log_tail()}\nworker log:\n{worker.log_tail()}"
        ) from None
    with tenant_schema(tenant_a):
        assert pending_count() == 0
        assert rollup_rows(ids) == rollups_after_recompute(ids)
    summary = api.get(
        "/api/v1/metrics/summary/",
        {"from": "2026-03-01", "to": "2026-03-31", "tag": catalogue.tag},
    ).json()
    orders_won, revenue = won_totals(batch, later, changes)
    assert summary["orders_won"] == orders_won
    assert Decimal(summary["revenue"]) == revenue

    # and /healthz is 200 again
    wait_for(lambda: health(visitor)[0] == 200, timeout=30)
