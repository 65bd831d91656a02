"""One tenant's heavy work cannot starve another's (issue #13, finding 3), and a task
that keeps killing its worker stops coming back (finding 5).

Replayed on real workers laid out as the run command and compose lay them out: one
on the default queue (folds), one prefork pool on the heavy queues (imports,
recomputes, webhook deliveries), with a Redis of the test's own as broker and cache.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from partners.imports import import_job_create
from partners.models import ImportJob, ImportState
from prm.tenancy import fairness
from prm.tenancy.tasks import record_heartbeat
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.factories import ApiKeyFactory
from tests.reporting.activity import accepted, order, send
from tests.reporting.conftest import make_catalogue, remove_catalogue
from tests.reporting.workers import (
    PrivateRedis,
    Worker,
    backends,
    side_connection,
    start_worker,
)
from tests.waiting import wait_for

HEADER = ["ref", "name", "domain", "phone", "country", "products", "channel_manager", "tags"]


def partners_csv(prefix: str, rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for number in range(rows):
        writer.writerow(
            [
                f"{prefix}-{number}",
                f"{prefix.title()} {number} Ltd",
                f"{prefix}{number}.example",
                "+44 20 7946 0958",
                "GB",
                "",
                "",
                "",
            ]
        )
    return out.getvalue().encode()


# --- tenant shares -----------------------------------------------------------------------


def test_a_tenant_holds_at_most_its_share_of_a_queue(
    private_redis: PrivateRedis, settings: Any
) -> None:
    # given two workers of the bulk queue for each tenant
    settings.PRM_TENANT_QUEUE_LIMITS = {"bulk": {"concurrency": 2, "lease_seconds": 60}}

    # when tenant alpha's tasks ask for them
    taken = [
        fairness.share_acquire(queue="bulk", schema="alpha", task_id=f"task-{number}")
        for number in range(3)
    ]

    # then two get one and the third waits, while beta's task gets one of its own
    assert taken == [True, True, False]
    assert fairness.share_acquire(queue="bulk", schema="beta", task_id="task-b")
    assert fairness.shares_held(queue="bulk", schema="alpha") == 2
    # a task redelivered after its worker died has its lease back, not a second one
    assert fairness.share_acquire(queue="bulk", schema="alpha", task_id="task-0")
    assert fairness.shares_held(queue="bulk", schema="alpha") == 2
    # and a released lease goes to the next task
    fairness.share_release(queue="bulk", schema="alpha", task_id="task-1")
    assert fairness.share_acquire(queue="bulk", schema="alpha", task_id="task-2")
    # a queue without a limit shares nothing out
    assert fairness.share_acquire(queue="celery", schema="alpha", task_id="any")


def test_a_lease_whose_worker_died_ends_by_itself(
    private_redis: PrivateRedis, settings: Any
) -> None:
    # given a lease of one second, held by a task whose worker died
    settings.PRM_TENANT_QUEUE_LIMITS = {"bulk": {"concurrency": 1, "lease_seconds": 1}}
    assert fairness.share_acquire(queue="bulk", schema="alpha", task_id="dead")
    assert not fairness.share_acquire(queue="bulk", schema="alpha", task_id="next")

    # when the lease has run out, then the next task gets the share
    time.sleep(1.2)
    assert fairness.share_acquire(queue="bulk", schema="alpha", task_id="next")


def test_heavy_tasks_are_routed_off_the_default_queue() -> None:
    assert fairness.queue_of("partners.import_validate") == "bulk"
    assert fairness.queue_of("partners.import_apply") == "bulk"
    assert fairness.queue_of("reporting.reconcile") == "bulk"
    assert fairness.queue_of("webhooks.deliver") == "webhooks"
    assert fairness.queue_of("reporting.fold_pending") is None


# --- the attack: heavy imports in one tenant, metrics in another -------------------------


@pytest.fixture
def beta_api(committed: Callable[[Callable[[], Any]], None], tenant_b: Any) -> Any:
    """A committed catalogue in beta and an API client with a committed key."""
    catalogue = make_catalogue(tenant_b)
    committed(lambda: remove_catalogue(catalogue))
    with tenant_schema(tenant_b):
        api_key = ApiKeyFactory.create(scopes=["read", "write"])

    def remove_key() -> None:
        with tenant_schema(tenant_b):
            user = api_key.user
            api_key.delete()
            user.delete()

    committed(remove_key)
    return catalogue, client_for(tenant_b, HTTP_AUTHORIZATION=f"Bearer {api_key.key}")


def pending(client: TenantClient) -> int:
    response = client.get("/api/v1/metrics/status/")
    assert response.status_code == 200, response.content
    return int(response.json()["pending"])


def job_state(tenant: Any, job_id: int) -> str:
    with tenant_schema(tenant):
        return str(ImportJob.objects.values_list("state", flat=True).get(pk=job_id))


def test_imports_in_one_tenant_do_not_hold_back_another_tenants_metrics(
    committed: Callable[[Callable[[], Any]], None],
    beta_api: Any,
    private_redis: PrivateRedis,
    tenant_a: Any,
    tenant_b: Any,
    tmp_path: Path,
    workers: list[Worker],
) -> None:
    catalogue, api = beta_api
    marker = uuid.uuid4().hex[:8]

    # given the run command's workers: folds on the default queue, a pool of two on
    # the heavy queues
    default = start_worker(label="default", folder=tmp_path, redis_url=private_redis.url())
    heavy = start_worker(
        label="heavy",
        folder=tmp_path,
        queue="bulk,webhooks",
        redis_url=private_redis.url(),
        concurrency=2,
    )
    workers.extend([default, heavy])
    default.wait_ready()
    heavy.wait_ready()

    def remove_jobs() -> None:
        for tenant in (tenant_a, tenant_b):
            with tenant_schema(tenant):
                ImportJob.objects.filter(filename__startswith=marker).delete()

    committed(remove_jobs)

    # and two imports in alpha that take as long as we like: their dry runs wait on a
    # lock of alpha's partner table, held by another session
    holder = side_connection()
    try:
        with holder.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{tenant_a.schema_name}"')
            cursor.execute("LOCK TABLE partners_partner IN ACCESS EXCLUSIVE MODE")
        with tenant_schema(tenant_a):
            alpha_jobs = [
                import_job_create(
                    actor=None,
                    filename=f"{marker}-alpha-{number}.csv",
                    content=partners_csv(f"a{marker}{number}", 50),
                ).pk
                for number in range(2)
            ]

        def alpha_import_running() -> bool:
            return any(
                backend["wait_event_type"] == "Lock" for backend in backends(heavy.application_name)
            )

        wait_for(alpha_import_running, timeout=60)
        # (alpha holds its one share of the heavy workers; its second import waits)
        assert fairness.shares_held(queue="bulk", schema=tenant_a.schema_name) == 1

        # when beta uploads an import of its own, then it is checked meanwhile
        with tenant_schema(tenant_b):
            beta_job = import_job_create(
                actor=None, filename=f"{marker}-beta.csv", content=partners_csv(f"b{marker}", 5)
            ).pk
        wait_for(lambda: job_state(tenant_b, beta_job) == ImportState.VALIDATED, timeout=30)
        assert {job_state(tenant_a, job) for job in alpha_jobs} <= {
            ImportState.UPLOADED,
            ImportState.VALIDATING,
        }

        # when beta's integrator posts an order, then beta's metrics have it at once
        ref = catalogue.ref("acme")
        started = time.monotonic()
        body = accepted(
            send(
                api,
                "orders",
                [order(f"{marker}-o", ref, amount="12.50", closed_at="2026-11-02T10:00:00Z")],
                form="ndjson",
            )
        )
        assert body["errors"] == []
        wait_for(lambda: pending(api) == 0, timeout=5)
        caught_up = time.monotonic() - started
        assert caught_up < 5, f"beta's metrics took {caught_up:.1f}s"
    finally:
        holder.rollback()
        holder.close()

    # and once the lock is gone, alpha's imports are checked too
    wait_for(
        lambda: all(job_state(tenant_a, job) == ImportState.VALIDATED for job in alpha_jobs),
        timeout=60,
    )
    # and alpha's share is given back (the task releases it as it returns, just after
    # its last chunk's commit made the job validated)
    wait_for(
        lambda: fairness.shares_held(queue="bulk", schema=tenant_a.schema_name) == 0, timeout=5
    )


# --- a task that keeps killing its worker ---------------------------------------------------


def test_a_task_delivered_too_often_gives_up_instead_of_running(
    private_redis: PrivateRedis,
    settings: Any,
    tenant_a: Any,
    tmp_path: Path,
    workers: list[Worker],
) -> None:
    worker = start_worker(label="deliveries", folder=tmp_path, redis_url=private_redis.url())
    workers.append(worker)
    worker.wait_ready()
    doomed, healthy = uuid.uuid4().hex, uuid.uuid4().hex

    # given a task whose worker died each of the 5 times it was delivered
    key = f"prm:task-deliveries:{doomed}"
    cache_redis = fairness._redis()
    cache_redis.set(key, settings.PRM_TASK_MAX_DELIVERIES)

    # when it is delivered again, and another task with it
    with tenant_schema(tenant_a):
        record_heartbeat.apply_async(args=[doomed], task_id=doomed)
        record_heartbeat.apply_async(args=[healthy], task_id=healthy)

    # then the other task runs, the doomed one does not, and neither leaves a count
    def heartbeat(token: str) -> Any:
        with tenant_schema(tenant_a):
            return cache.get(f"tenancy:heartbeat:{token}")

    wait_for(lambda: heartbeat(healthy) == tenant_a.schema_name, timeout=30)
    wait_for(lambda: not cache_redis.exists(key), timeout=10)
    assert heartbeat(doomed) is None
    assert not cache_redis.exists(f"prm:task-deliveries:{healthy}")
    assert "gave up" in worker.log_tail()
