"""GET /healthz: 200 when database, Redis, workers, beat and the tenant's fold backlog
are fine; 503 naming what is not; and quick even when Redis hangs."""

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from celery.app.control import Control
from django.core.cache import cache
from django.utils import timezone

from prm import beat, breaker
from prm.celery import app
from reporting.models import PendingRollup
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.reporting.activity import accepted, order, send
from tests.reporting.workers import PrivateRedis
from tests.waiting import wait_for


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    # Each test starts with every Redis server's breaker closed, whatever came before.
    breaker.reset()
    yield
    breaker.reset()


def health(client: TenantClient) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    response = client.get("/healthz")
    return response.status_code, response.json(), time.monotonic() - started


@pytest.mark.worker
def test_healthz_is_ok_when_everything_answers(client_a: TenantClient, beat_alive: None) -> None:
    # given a running worker (the `worker` mark) and beat (its heartbeat)

    # when alpha's host is asked for its health
    response = client_a.get("/healthz")

    # then everything is ok
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["down"] == []
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "workers": "ok",
        "beat": "ok",
        "backlog": "ok",
    }
    assert body["checks"]["beat"]["age_seconds"] < 5
    assert body["checks"]["backlog"]["pending"] == 0
    assert body["tenant"] == "alpha"


def test_healthz_names_workers_when_no_worker_answers(
    client_a: TenantClient, beat_alive: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given pings that no worker listens to: a control exchange nobody consumes (a worker
    # started by other tests, if any, listens on the real one)
    settings.PRM_HEALTH_WORKER_TIMEOUT = 0.3
    monkeypatch.setitem(app.conf, "control_exchange", "prm-tests-nobody-listens")
    monkeypatch.setattr(app, "control", Control(app=app))

    # when the health is asked for
    response = client_a.get("/healthz")

    # then it is 503 naming the workers, and only them
    body = response.json()
    assert response.status_code == 503, body
    assert body["down"] == ["workers"]
    assert body["checks"]["workers"]["status"] == "down"
    assert "celery -A prm worker" in body["checks"]["workers"]["error"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


def test_healthz_names_redis_when_it_is_unreachable(client_a: TenantClient, settings: Any) -> None:
    # given a Redis address where nothing listens
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/1"
    settings.PRM_HEALTH_WORKER_TIMEOUT = 0.3

    # when the health is asked for
    response = client_a.get("/healthz")

    # then it is 503 naming Redis
    body = response.json()
    assert response.status_code == 503, body
    assert "redis" in body["down"]
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


# --- beat ------------------------------------------------------------------------------


@pytest.mark.worker
def test_healthz_names_beat_when_its_heartbeat_is_older_than_the_bound(
    client_a: TenantClient, beat_alive: None, settings: Any
) -> None:
    # given beat's last heartbeat 90 s ago, with a bound of 60 s
    settings.PRM_HEALTH_BEAT_MAX_AGE = 60
    beat.heartbeat_record(at=time.time() - 90)

    # when the health is asked for
    status, body, _ = health(client_a)

    # then it is 503 naming beat, and only beat, with how old its heartbeat is
    assert status == 503, body
    assert body["down"] == ["beat"]
    check = body["checks"]["beat"]
    assert check["status"] == "down"
    assert 89 <= check["age_seconds"] < 100
    assert check["max_age_seconds"] == 60
    assert "PRM_HEALTH_BEAT_MAX_AGE" in check["error"]
    assert "celery -A prm beat" in check["error"]

    # when beat ticks again
    beat.heartbeat_record()

    # then it is 200
    status, body, _ = health(client_a)
    assert status == 200, body
    assert body["checks"]["beat"]["status"] == "ok"
    assert body["checks"]["beat"]["age_seconds"] < 5


@pytest.mark.worker
def test_healthz_names_beat_when_it_never_wrote_a_heartbeat(
    client_a: TenantClient, beat_alive: None, settings: Any
) -> None:
    # given no heartbeat at all (beat was never started against this Redis)
    breaker.redis_client(settings.REDIS_URL).delete(beat.HEARTBEAT_KEY)

    # when the health is asked for
    status, body, _ = health(client_a)

    # then it is 503 naming beat
    assert status == 503, body
    assert body["down"] == ["beat"]
    assert "no heartbeat" in body["checks"]["beat"]["error"]


# --- the fold backlog ---------------------------------------------------------------------


def pending_since(seconds_ago: float, partner_id: int = 1) -> None:
    """An outbox key of (partner, today) whose first row was accepted `seconds_ago`."""
    key = PendingRollup.objects.create(partner_id=partner_id, day=timezone.localdate())
    PendingRollup.objects.filter(pk=key.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.mark.worker
def test_healthz_names_the_backlog_when_rows_wait_longer_than_the_bound(
    client_a: TenantClient,
    client_b: TenantClient,
    public_client: TenantClient,
    tenant_a: Any,
    beat_alive: None,
    settings: Any,
) -> None:
    # given alpha's oldest unfolded activity accepted 200 s ago, with a bound of 120 s
    settings.PRM_HEALTH_BACKLOG_MAX_AGE = 120
    with tenant_schema(tenant_a):
        pending_since(200, partner_id=1)
        pending_since(3, partner_id=2)

    # when alpha's health is asked for
    status, body, _ = health(client_a)

    # then it is 503 naming the backlog, and only it, with its size and age
    assert status == 503, body
    assert body["down"] == ["backlog"]
    check = body["checks"]["backlog"]
    assert check["pending"] == 2
    assert 199 <= check["age_seconds"] < 230
    assert check["max_age_seconds"] == 120
    assert "PRM_HEALTH_BACKLOG_MAX_AGE" in check["error"]

    # and beta's backlog, and the public site (which has none), are fine
    status, body, _ = health(client_b)
    assert status == 200, body
    assert body["checks"]["backlog"]["pending"] == 0
    status, body, _ = health(public_client)
    assert status == 200, body
    assert "backlog" not in body["checks"]

    # when the old key is folded and only a fresh one waits
    with tenant_schema(tenant_a):
        PendingRollup.objects.filter(partner_id=1).delete()

    # then alpha is healthy again
    status, body, _ = health(client_a)
    assert status == 200, body
    assert body["checks"]["backlog"]["pending"] == 1
    assert body["checks"]["backlog"]["age_seconds"] < 60


# --- a hung Redis -------------------------------------------------------------------------


@dataclass
class Hang:
    """SIGSTOP and SIGCONT of a redis-server: stopped, it still accepts connections
    (the kernel does) and never answers, like a hung server, not a refusing one."""

    pid: int
    stopped: bool = False

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)
        self.stopped = False


@pytest.fixture
def hang(private_redis: PrivateRedis) -> Iterator[Hang]:
    """Pauses and resumes the private Redis; resumed afterwards in any case."""
    assert private_redis.process is not None
    control = Hang(private_redis.process.pid)
    yield control
    if control.stopped:
        control.resume()


def test_a_hung_redis_costs_a_page_and_healthz_one_short_timeout_at_most(
    hang: Hang,
    partner_in: Callable[..., Any],
    logged_in_client: Callable[..., TenantClient],
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PRM_HEALTH_WORKER_TIMEOUT = 0.3
    manager = logged_in_client(tenant_a, "manager")
    api = api_client(tenant_a)
    anonymous = client_for(tenant_a)
    ref = partner_in(tenant_a).ref

    # given the pages answer while Redis does (the host of alpha cached in it)
    assert manager.get("/partners/").status_code == 200
    assert anonymous.get("/accounts/login/").status_code == 200

    # when Redis hangs, and the partner list, /healthz, the login page and an
    # ingestion (rate-limit counters, then a fold queued on commit) are asked for
    hang.pause()
    timings: dict[str, float] = {}
    started = time.monotonic()
    page = manager.get("/partners/")
    timings["partner list"] = time.monotonic() - started
    status, body, timings["healthz"] = health(anonymous)
    started = time.monotonic()
    login = anonymous.get("/accounts/login/")
    timings["login page"] = time.monotonic() - started
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        ingested = send(api, "orders", [order("hung-1", ref)])
    timings["ingestion"] = time.monotonic() - started

    # then each answers, within 1.5 s: the first one waited out one short timeout and
    # opened the breaker, the others did not even try Redis
    assert page.status_code == 200
    assert login.status_code == 200
    assert accepted(ingested)["created"] == 1
    assert status == 503, body
    assert body["checks"]["redis"]["status"] == "down"
    assert {"redis", "workers", "beat"} <= set(body["down"])
    assert body["checks"]["database"]["status"] == "ok"
    assert max(timings.values()) < 1.5, timings
    assert timings["partner list"] >= 0.4, timings  # (one PRM_REDIS_TIMEOUT, 0.5 s)
    assert sum(timings.values()) - timings["partner list"] < 1.0, timings

    # when Redis answers again
    hang.resume()

    # then, once the breaker half-opens (PRM_REDIS_BREAKER_SECONDS later), Redis is
    # used and reported again
    wait_for(lambda: health(anonymous)[1]["checks"]["redis"]["status"] == "ok", timeout=15)
    cache.set("health-test", "back", 30)
    assert cache.get("health-test") == "back"
    assert manager.get("/partners/").status_code == 200

    # when it hangs again and /healthz is the first to notice
    hang.pause()
    status, body, took = health(anonymous)

    # then /healthz too answers within 1.5 s, naming Redis
    assert took < 1.5, took
    assert status == 503, body
    assert body["checks"]["redis"]["status"] == "down"
