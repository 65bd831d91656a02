"""GET /healthz: 200 when database, Redis and workers answer; 503 naming what does not."""

import socket
from typing import Any

import pytest
from celery.app.control import Control

from prm.celery import app
from tests.conftest import TenantClient


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.worker
def test_healthz_is_ok_when_everything_answers(client_a: TenantClient) -> None:
    # given a running worker (the `worker` mark)

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
    }
    assert body["tenant"] == "alpha"


def test_healthz_names_workers_when_no_worker_answers(
    client_a: TenantClient, settings: Any, monkeypatch: pytest.MonkeyPatch
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
