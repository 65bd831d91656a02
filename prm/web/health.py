"""GET /healthz: can this instance serve? Database, Redis and Celery workers."""

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prm.celery import app

from .access import public_view


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _workers() -> str:
    timeout = getattr(settings, "PRM_HEALTH_WORKER_TIMEOUT", 1.0)
    # limit=1: return as soon as one worker answers instead of waiting the timeout out.
    replies = app.control.ping(timeout=timeout, limit=1)
    if not replies:
        raise RuntimeError("no Celery worker answered a ping")
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "redis": _redis,
    "workers": _workers,
}


@public_view
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            results[name] = {"status": check()}
        except Exception as error:  # any failure is the answer, not a crash
            results[name] = {"status": "down", "error": str(error) or type(error).__name__}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    down = [name for name, result in results.items() if result["status"] != "ok"]
    body = {
        "status": "ok" if not down else "down",
        "down": down,
        "checks": results,
        "tenant": getattr(getattr(request, "tenant", None), "slug", None),
    }
    return JsonResponse(body, status=200 if not down else 503)
