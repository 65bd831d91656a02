"""GET /healthz: can this instance serve? 200 when every check passes, 503 naming in
`down` those that do not.

The platform's checks: the database, Redis, the Celery workers (one answers a ping)
and Celery beat (its heartbeat, prm.beat, is at most PRM_HEALTH_BEAT_MAX_AGE seconds
old). Apps add their own with `register_check()` from their AppConfig.ready() (the
platform imports no app): reporting adds "backlog", the age of the oldest accepted
activity row of the request's tenant not yet in its metrics.

A check returns facts about itself (shown in its entry beside "status": "ok"), or
None when it does not apply on this host (a tenant's backlog on the public site), or
raises: `CheckFailed` with its facts, or any error, whose message is the entry's
"error". Redis is reached through its circuit breaker (prm.breaker), so with Redis
hung the answer comes after one short timeout at most, not one per check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prm import beat, breaker
from prm.celery import app

from .access import public_view

Facts = Mapping[str, object]
HealthCheck = Callable[[HttpRequest], Facts | None]


class CheckFailed(Exception):
    """A check's answer "down", with a message saying what to do and facts to show."""

    def __init__(self, message: str, **facts: object) -> None:
        super().__init__(message)
        self.facts = facts


def _database(request: HttpRequest) -> Facts:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _redis(request: HttpRequest) -> Facts:
    breaker.redis_client(settings.REDIS_URL).ping()
    return {}


def _workers(request: HttpRequest) -> Facts:
    timeout = getattr(settings, "PRM_HEALTH_WORKER_TIMEOUT", 1.0)
    # limit=1: return as soon as one worker answers instead of waiting the timeout out.
    replies = breaker.broker_call(
        app, lambda broker: app.control.ping(timeout=timeout, limit=1, connection=broker)
    )
    if not replies:
        raise CheckFailed("no Celery worker answered a ping; start `celery -A prm worker`")
    return {}


def _beat(request: HttpRequest) -> Facts:
    bound = float(getattr(settings, "PRM_HEALTH_BEAT_MAX_AGE", 60.0))
    last = beat.heartbeat_last()
    if last is None:
        raise CheckFailed(
            "Celery beat has written no heartbeat yet; start `celery -A prm beat`",
            max_age_seconds=bound,
        )
    age = max(0.0, time.time() - last)
    facts = {
        "last_heartbeat": datetime.fromtimestamp(last, UTC).isoformat(),
        "age_seconds": round(age, 1),
        "max_age_seconds": bound,
    }
    if age > bound:
        raise CheckFailed(
            f"Celery beat's last heartbeat is {age:.0f} s old, more than "
            f"PRM_HEALTH_BEAT_MAX_AGE ({bound:g} s): is `celery -A prm beat` running? "
            "Without it nothing sweeps (rollup folds, SLA clocks).",
            **facts,
        )
    return facts


CHECKS: dict[str, HealthCheck] = {
    "database": _database,
    "redis": _redis,
    "workers": _workers,
    "beat": _beat,
}


def register_check(name: str, check: HealthCheck) -> None:
    """Add (or replace) the check `name`; for apps, from their AppConfig.ready()."""
    CHECKS[name] = check


def _run(check: HealthCheck, request: HttpRequest) -> dict[str, object] | None:
    started = time.monotonic()
    try:
        facts = check(request)
        if facts is None:
            return None
        result: dict[str, object] = {"status": "ok", **facts}
    except CheckFailed as failure:
        result = {"status": "down", "error": str(failure), **failure.facts}
    except Exception as error:  # any failure is the answer, not a crash
        result = {"status": "down", "error": str(error) or type(error).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


@public_view
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        result = _run(check, request)
        if result is not None:
            results[name] = result
    down = [name for name, result in results.items() if result["status"] != "ok"]
    body = {
        "status": "ok" if not down else "down",
        "down": down,
        "checks": results,
        "tenant": getattr(getattr(request, "tenant", None), "slug", None),
    }
    return JsonResponse(body, status=200 if not down else 503)
