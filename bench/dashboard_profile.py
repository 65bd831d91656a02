"""The cold channel manager dashboard, in one process, on a database bench/reads.py
kept (``--keep-database``): p50 / p95 per identity and preset with the cache emptied
before every request, and optionally the dashboard's numbers written to a file
(``--dump``) or compared with such a file (``--compare``), to check that a change
leaves every number exactly as it was.

Run:  .venv/bin/python bench/dashboard_profile.py --database-url postgres://.../prm_bench_reads_...
          [--redis-url redis://127.0.0.1:6379/4] [--requests 30] [--presets month,year]
          [--dump before.pickle | --compare before.pickle]
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@bench.example"
MANAGER_EMAIL = "manager0@bench.example"


def setup(database_url: str, redis_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench"),
        DJANGO_SETTINGS_MODULE="bench_settings",
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    for path in (str(REPO), str(REPO / "bench")):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def plain(value: Any) -> Any:
    """The numbers of a context, without model instances (compared by their pk)."""
    from django.db.models import Model

    from reporting.scorecard import Tile

    if isinstance(value, dict):
        # `cells` are the numbers formatted for the page: compared as numbers
        return {key: plain(item) for key, item in value.items() if key != "cells"}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Tile):
        return (value.key, value.value, value.previous, value.change, value.change_percent)
    if isinstance(value, Model):
        return (type(value).__name__, value.pk)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--presets", default="month,30d,quarter,year")
    parser.add_argument("--sorts", default="-revenue")
    parser.add_argument("--dump")
    parser.add_argument("--compare")
    options = parser.parse_args()
    setup(options.database_url, options.redis_url)

    from django.core.cache import cache
    from django.test import Client
    from django_tenants.utils import tenant_context

    from console import views as dashboard_views
    from prm.accounts.models import User
    from prm.tenancy.models import Tenant
    from prm.tenancy.services import host_for

    tenant = Tenant.objects.get(schema_name="bench")
    with tenant_context(tenant):
        users = {
            "admin": User.objects.get(email=ADMIN_EMAIL),
            "manager": User.objects.get(email=MANAGER_EMAIL),
        }
        clients = {}
        for identity, user in users.items():
            client = Client(HTTP_HOST=host_for(tenant.slug))
            client.force_login(user)
            clients[identity] = client

    # Capture the numbers the live fragment renders.
    captured: dict[str, Any] = {}
    context_of = dashboard_views._context

    def capturing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        context = context_of(*args, **kwargs)
        captured["context"] = context
        return context

    dashboard_views._context = capturing

    dumped: dict[str, Any] = {}
    for preset in options.presets.split(","):
        for identity, client in clients.items():
            for sort in options.sorts.split(","):
                times = []
                for _ in range(options.requests):
                    cache.clear()
                    started = time.perf_counter()
                    response = client.get("/", {"period": preset, "sort": sort})
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.status_code
                times.sort()
                p95 = times[max(0, round(0.95 * len(times)) - 1)]
                print(
                    f"{identity:8} {preset:8} {sort:20} p50 {statistics.median(times):6.1f}"
                    f"  p95 {p95:6.1f}  min {times[0]:6.1f} ms",
                    flush=True,
                )
                context = captured["context"]
                keep = (
                    *("scorecard", "breakdowns", "channel_split", "breakdown_charts"),
                    *("leaderboard", "leaderboard_total", "sla"),
                )
                numbers = plain({k: context[k] for k in keep})
                # The charts hold the series' numbers (the series rows' keys may change).
                numbers["scorecard"].pop("series")
                dumped[f"{identity}|{preset}|{sort}"] = numbers
    if options.dump:
        Path(options.dump).write_bytes(pickle.dumps(dumped))
    if options.compare:
        before = pickle.loads(Path(options.compare).read_bytes())  # noqa: S301
        for numbers in before.values():
            numbers["scorecard"].pop("series", None)
        differ = [key for key in dumped if dumped[key] != before.get(key)]
        for key in differ:
            for part in dumped[key]:
                if dumped[key][part] != before[key][part]:
                    print(f"DIFFERS: {key} {part}")
        print("identical" if not differ else f"{len(differ)} differ", flush=True)


if __name__ == "__main__":
    main()
