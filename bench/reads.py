"""Read-path speed: the dashboard and the metrics API over 1,000 partners x 365 days
of rollups, at 1x and at 10x the raw events (the same rollup rows: more events per
day, not more days), through a real gunicorn server.

Run:  .venv/bin/python bench/reads.py [--partners 1000] [--days 365]
          [--requests 200] [--warmup 20] [--rounds 2] [--multiplier 10]
          [--time-zone Europe/Amsterdam] [--server-workers 1]
          [--database-url postgres://...] [--redis-url redis://...] [--keep-database]

What it does
------------
1. Creates its own database ``prm_bench_reads_<time>_<pid>``, runs ``migrate_all``
   and provisions two tenants (``tenant_provision``) in ``--time-zone``: ``bench``
   for 1x the raw events and ``bench10`` for ``--multiplier`` times them. In each:
   ten channel managers and an administrator (``user_create``), three tiers and
   three products (``tier_create``, ``product_create``), one partner with
   ``partner_create`` and the other ``--partners`` - 1 as SQL copies of its row,
   spread over the managers (round robin, so a manager owns a tenth), the tiers, six
   countries and one or two products each; and an API key (``api_key_create``).
2. Generates the raw events of the ``--days`` days up to today (the tenant's day)
   with ``INSERT ... SELECT ... generate_series``, one "layer" at a time: a layer is,
   for every partner and every day, 2 orders (55 % won, 15 % lost, the rest open;
   closing 0 to 9 days later but never after today), 2 calls, 1 contact (a third
   converted, 0 to 4 days later but never after today), and an inventory snapshot
   on one partner-day in five. Which kind each event is (won or lost, made or
   received, channel, product, ...) turns with the partner and the event's slot, so
   every partner has every kind over its days, in every layer: 1x and 10x have the
   same shape, 10x only larger counts and sums (until session 5 the kind turned with
   the partner alone, and 45 % of partners never won an order at 1x: half-empty
   metrics at 1x against full ones at 10x). So every partner-day has rollup
   contributions, and 1x is one layer (about 5.2 events a partner-day, some 1.9
   million rows for 1,000 x 365); ``bench10`` gets ``--multiplier`` layers. Then, per
   tenant, the product's full rebuild (``reporting.rollups.recompute``) and ``VACUUM
   ANALYZE``; the bench checks that there are exactly partners x days daily rollup
   rows and that the metrics summary over all days counts every raw order, call and
   contact. Then a ``CHECKPOINT`` (so that the server is not writing the loads out while
   requests are timed).
3. Starts ``gunicorn prm.wsgi:application`` (``--server-workers``, default 1, sync)
   with bench/bench_settings.py (DEBUG off), signs in each tenant's manager and
   administrator through ``/accounts/login/`` and, with one client thread on one
   keep-alive connection per identity, times every endpoint below: ``--warmup``
   untimed requests, then ``--requests`` timed ones, each from the first byte sent
   to the last byte received. Every answer must be 200. The dashboard keeps its
   rendered numbers in the cache until the rollups change (console/
   views.py), so for the dashboard rows the bench empties its Redis
   database before every request (untimed): they measure a page computed from the
   rollups, as after every fold. The rows marked "cached" measure repeated views
   between folds. The API's rate limits are raised for the server (its throttles
   still run). The two loads are **interleaved request by request**: a request on
   one tenant, then the same on the other (which goes first swaps every pair), so
   that whatever else the machine does falls on both alike. (In sequence, 10x
   measured some ten minutes after 1x, ratios of 1.3-1.4 came and went between runs
   on rows that read the same rollups; interleaved by endpoint, 200 requests on one
   tenant and then 200 on the other, one row in a run still came out 10-25 % apart
   in both rounds, a different row each run.) ``--rounds`` rounds, the
   endpoints in reverse order every other round; an endpoint's figures are those of
   its round with the lowest p95 (other work on the machine only adds time).
4. Prints p50 / p95 / p99 per endpoint at 1x and 10x, the ratio of the p95s, and
   PASS or FAIL against the targets of issue #6 item 7: p95 <= 100 ms at both, and
   10x / 1x <= 1.2. Raw figures go to bench/results/reads-latest.json. The exit
   status is 0 whenever the bench ran.

Endpoints: the metrics API (``Authorization: Bearer``) for a year (the ``--days``
days up to today) and for last calendar month: ``/api/v1/metrics/partners/``,
``/api/v1/metrics/summary/``, and ``/api/v1/metrics/partners/{ref}/series/`` by
month over the year; the dashboard ``/`` for each of its presets (``period=month``,
``30d``, ``quarter``, ``year``) as the manager (their own partners, the default) and
as the administrator (all partners, the default); the dashboard's live fragment
(URL name ``console:dashboard_live``) when the tree has it; and a partner's page
``/partners/<ref>/``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

TARGET_P95_MS = 100.0
TARGET_RATIO = 1.2
MANAGERS = 10
PASSWORD = "bench-reads-Password-1"  # noqa: S105 (a throw-away tenant)
ADMIN_EMAIL = "admin@bench.example"
COUNTRIES = ("NL", "DE", "FR", "GB", "US", "BE")

# One layer of raw events: per partner and day, 2 orders, 2 calls, 1 contact, and an
# inventory snapshot on one partner-day in five. %(layer)s makes the external ids
# unique; %(start)s is the first day, %(days)s the number of days, %(tz)s the tenant
# zone. g runs over partners x days x per-day, partner fastest. Kinds (won or lost,
# made or received, ...) are chosen by k.mix, the partner's index plus the event's
# slot (day and rank in the day), not by g alone: with 1,000 partners g modulo 20 is
# the partner's index modulo 20, which made 45 % of partners never win an order in a
# layer; so every partner gets every kind over its days, at 1x as at 10x.
PARTNER_DAY = """
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
                FROM partners_partner) p
    CROSS JOIN LATERAL (
        SELECT p.ids[1 + g %% p.n] AS partner_id,
               (g / p.n) %% %(days)s AS day_index,
               g %% p.n + g / p.n + %(layer)s AS mix,
               ((g::bigint * 7919 + %(layer)s * 104729) %% 86400) AS second_of_day
    ) k
    CROSS JOIN LATERAL (
        SELECT (%(start)s::date + k.day_index)::timestamp AT TIME ZONE %(tz)s
                   + k.second_of_day * interval '1 second' AS at
    ) t
"""

ORDERS_SQL = f"""
    INSERT INTO reporting_order (external_id, partner_id, product_id, status, amount, cost,
        quantity, channel, new_account, ordered_at, closed_at, ingested_at, updated_at)
    SELECT 'o' || %(layer)s || '-' || g,
           k.partner_id,
           CASE WHEN k.mix %% 4 = 0 THEN NULL ELSE pr.ids[1 + k.mix %% 3] END,
           s.status,
           s.amount,
           round(s.amount * (30 + g %% 60) / 100, 2),
           1 + k.mix %% 9,
           (ARRAY['online_store', 'display_shelf', 'direct', 'other'])[1 + (k.mix / 7) %% 4],
           k.mix %% 10 = 0,
           t.at,
           CASE WHEN s.status = 'open' THEN NULL
                ELSE t.at + least((k.mix * 31) %% 10, %(days)s - 1 - k.day_index)
                            * interval '1 day' END,
           now(), now()
    FROM generate_series(0, %(count)s - 1) AS g
    {PARTNER_DAY}
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM partners_product) pr
    CROSS JOIN LATERAL (
        SELECT CASE WHEN k.mix %% 20 < 11 THEN 'won'
                    WHEN k.mix %% 20 < 14 THEN 'lost' ELSE 'open' END AS status,
               round((100 + (g::bigint * 7919) %% 500000) / 100.0, 2) AS amount
    ) s
"""

CALLS_SQL = f"""
    INSERT INTO reporting_call (external_id, partner_id, direction, counterpart,
        duration_seconds, occurred_at, ingested_at, updated_at)
    SELECT 'c' || %(layer)s || '-' || g, k.partner_id,
           CASE WHEN k.mix %% 2 = 0 THEN 'made' ELSE 'received' END,
           CASE WHEN k.mix %% 5 = 0 THEN 'channel_team' ELSE 'customer' END,
           30 + (k.mix * 37) %% 1800, t.at, now(), now()
    FROM generate_series(0, %(count)s - 1) AS g
    {PARTNER_DAY}
"""

CONTACTS_SQL = f"""
    INSERT INTO reporting_lead (external_id, partner_id, source, created_at, converted_at,
        ingested_at, updated_at)
    SELECT 'l' || %(layer)s || '-' || g, k.partner_id,
           (ARRAY['web', 'event', 'referral'])[1 + k.mix %% 3],
           t.at,
           CASE WHEN k.mix %% 3 = 0
                THEN t.at + least(k.mix %% 5, %(days)s - 1 - k.day_index) * interval '1 day' END,
           now(), now()
    FROM generate_series(0, %(count)s - 1) AS g
    {PARTNER_DAY}
"""

INVENTORY_SQL = f"""
    INSERT INTO reporting_inventorysnapshot (external_id, partner_id, product_id,
        items_listed, observed_at, ingested_at, updated_at)
    SELECT 'i' || %(layer)s || '-' || g, k.partner_id, pr.ids[1 + k.mix %% 3],
           (k.mix * 13) %% 500, t.at, now(), now()
    FROM generate_series(0, %(count)s - 1) AS g
    {PARTNER_DAY}
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM partners_product) pr
    WHERE k.mix %% 5 = 0
"""

# (table, statement, events per partner-day in a layer before any WHERE)
LAYER = (
    ("reporting_order", ORDERS_SQL, 2),
    ("reporting_call", CALLS_SQL, 2),
    ("reporting_lead", CONTACTS_SQL, 1),
    ("reporting_inventorysnapshot", INVENTORY_SQL, 1),
)
RAW_TABLES = tuple(table for table, _sql, _per_day in LAYER)


# --- data ---------------------------------------------------------------------------------


def tenant_data(tenant: Any, partners: int) -> dict[str, Any]:
    """Users, tiers, products and partners; returns what the requests need."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from partners.services import partner_create, product_create, tier_create
    from prm.accounts.models import Role
    from prm.accounts.services import user_create

    started = time.perf_counter()
    with tenant_context(tenant):
        managers = [
            user_create(
                email=f"manager{index}@bench.example",
                password=PASSWORD,
                role=Role.MANAGER,
                full_name=f"Manager {index}",
                check_password=False,
            )
            for index in range(MANAGERS)
        ]
        user_create(email=ADMIN_EMAIL, password=PASSWORD, role=Role.ADMIN, check_password=False)
        for index, name in enumerate(("Gold", "Silver", "Bronze")):
            tier_create(actor=None, slug=name.lower(), name=name, rank=3 - index)
        for index in range(3):
            product_create(actor=None, sku=f"sku-{index}", name=f"Product {index}")
        first = partner_create(
            actor=None,
            ref="p00000",
            name="Partner 00000",
            channel_manager=managers[0],
            status="active",
            country="NL",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'partners_partner' "
                "AND column_name NOT IN ('id', 'ref', 'name', 'domain', 'channel_manager_id', "
                "'tier_id', 'country') ORDER BY ordinal_position"
            )
            others = ", ".join(row[0] for row in cursor.fetchall())
            cursor.execute(
                f"INSERT INTO partners_partner (ref, name, domain, channel_manager_id, tier_id, "
                f"country, {others}) "
                f"SELECT 'p' || lpad(g::text, 5, '0'), 'Partner ' || lpad(g::text, 5, '0'), "
                f"'p' || g || '.bench.example', m.ids[1 + g %% {MANAGERS}], "
                f"t.ids[1 + g %% 3], (%s::text[])[1 + g %% {len(COUNTRIES)}], {others} "
                f"FROM partners_partner "
                f"CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM partners_tier) t "
                f"CROSS JOIN (SELECT array_agg(id ORDER BY email) AS ids FROM accounts_user "
                f"WHERE role = 'manager') m, generate_series(1, %s - 1) AS g WHERE id = %s",
                [list(COUNTRIES), partners, first.pk],
            )
            cursor.execute(
                "UPDATE partners_partner SET tier_id = (SELECT id FROM partners_tier "
                "WHERE slug = 'gold') WHERE id = %s",
                [first.pk],
            )
            # One or two products each.
            cursor.execute(
                "INSERT INTO partners_partner_products (partner_id, product_id) "
                "SELECT p.id, pr.id FROM partners_partner p JOIN partners_product pr "
                "ON pr.sku = 'sku-' || (p.id %% 3) OR (p.id %% 2 = 0 AND pr.sku = 'sku-' || "
                "((p.id + 1) %% 3)) ON CONFLICT DO NOTHING",
                [],
            )
            cursor.execute("ANALYZE")
            cursor.execute(
                "SELECT count(*) FROM partners_partner WHERE channel_manager_id = %s",
                [managers[0].pk],
            )
            (owned,) = cursor.fetchone()
    print(
        f"{partners} partners, {MANAGERS} managers, 3 tiers, 3 products in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    # p00010 and p00000: partners of the first manager
    ref = "p00010" if partners > 10 else "p00000"
    return {"manager": managers[0].email, "manager_partners": int(owned), "ref": ref}


def layers_add(tenant: Any, *, first: int, last: int, start: date, days: int, tz: str) -> None:
    """Raw events of layers first..last (inclusive)."""
    from django.db import connection, transaction
    from django_tenants.utils import tenant_context

    with tenant_context(tenant):
        (partners,) = _one("SELECT count(*) FROM partners_partner")
        for layer in range(first, last + 1):
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                for _table, statement, per_day in LAYER:
                    count = int(partners) * days * per_day
                    cursor.execute(
                        statement,
                        {"count": count, "layer": layer, "start": start, "days": days, "tz": tz},
                    )
            print(f"  layer {layer} in {time.perf_counter() - started:.1f} s", flush=True)


def rollups_rebuild(tenant: Any) -> float:
    """The product's full rebuild, then VACUUM ANALYZE of every table read."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from reporting.rollups import recompute

    with tenant_context(tenant):
        with connection.cursor() as cursor:
            # The bench's own session only: a rebuild of ten million rows sorts far
            # more than the server's default 4 MB in memory.
            cursor.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        recompute()
        took = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")
            tables = [
                row[0]
                for row in _all(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND (tablename LIKE 'reporting_%%' OR tablename LIKE 'partners_%%')"
                )
            ]
            for table in tables:
                cursor.execute(f'VACUUM ANALYZE "{table}"')
    return took


def settle() -> None:
    """A checkpoint, so that the server does not write out the load's pages (gigabytes
    at 10x) while requests are timed; skipped where the bench's user may not."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"  no CHECKPOINT ({error}".strip() + ")", flush=True)


def data_checks(tenant: Any, *, start: date, end: date) -> dict[str, Any]:
    """Row counts, and the metrics summary over every day against the raw counts."""
    from django_tenants.utils import tenant_context

    from partners.models import Partner
    from reporting import metrics

    with tenant_context(tenant):
        counts = {table: int(_one(f"SELECT count(*) FROM {table}")[0]) for table in RAW_TABLES}
        counts["reporting_dailyrollup"] = int(_one("SELECT count(*) FROM reporting_dailyrollup")[0])
        (days_covered,) = _one("SELECT count(DISTINCT day) FROM reporting_dailyrollup")
        summary = metrics.totals(partners=Partner.objects.all(), period=metrics.Period(start, end))
        (won,) = _one("SELECT count(*) FROM reporting_order WHERE status = 'won'")
        (converted,) = _one("SELECT count(*) FROM reporting_lead WHERE converted_at IS NOT NULL")
    problems = []
    expected = {
        "orders_opened": counts["reporting_order"],
        "orders_won": won,
        "calls_made + calls_received": counts["reporting_call"],
        "contacts_generated": counts["reporting_lead"],
        "contacts_converted": converted,
    }
    got = {
        "orders_opened": summary["orders_opened"],
        "orders_won": summary["orders_won"],
        "calls_made + calls_received": summary["calls_made"] + summary["calls_received"],
        "contacts_generated": summary["contacts_generated"],
        "contacts_converted": summary["contacts_converted"],
    }
    for key, value in expected.items():
        if int(got[key]) != int(value):
            problems.append(f"summary {key} {got[key]} != raw {value}")
    return {
        "counts": counts,
        "days_covered": int(days_covered),
        "raw_events": sum(counts[table] for table in RAW_TABLES),
        "problems": problems,
    }


def _one(sql: str, params: Any = None) -> tuple[Any, ...]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return tuple(cursor.fetchone())


def _all(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return [tuple(row) for row in cursor.fetchall()]


# --- requests -----------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    period: str
    path: str
    identity: str  # "api", "manager" or "admin"
    cold: bool = False  # the cache emptied before every request


@dataclass
class Figures:
    p50: float
    p95: float
    p99: float
    samples: list[float] = field(default_factory=list)


class Client:
    """One keep-alive connection of one identity (an API key or a signed-in user)."""

    def __init__(self, server: benchlib.Server, headers: dict[str, str]) -> None:
        self.server = server
        self.headers = headers
        self.connection = server.connection()

    def get(self, path: str) -> tuple[int, float, bytes]:
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.connection.request(
                    "GET", path, headers={"Host": self.server.host, **self.headers}
                )
                response = self.connection.getresponse()
                body = response.read()
                return response.status, time.perf_counter() - started, body
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = self.server.connection()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def sign_in(server: benchlib.Server, email: str, host: str) -> dict[str, str]:
    """A real sign-in through /accounts/login/ on `host`; returns the headers of the
    signed-in session (Host and Cookie)."""
    connection = server.connection()
    try:
        connection.request("GET", "/accounts/login/", headers={"Host": host})
        response = connection.getresponse()
        page = response.read().decode()
        cookies = _cookies(response)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, "no CSRF token on the sign-in page"
        body = urlencode(
            {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Host": host,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "Referer": f"http://{host}/accounts/login/",
            },
        )
        response = connection.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"sign-in of {email} failed: {response.status}")
    finally:
        connection.close()
    return {"Host": host, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def endpoints(*, today: date, days: int, ref: str, live_path: str | None) -> list[Endpoint]:
    year = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = {"from": last_month_end.replace(day=1).isoformat(), "to": last_month_end.isoformat()}
    year_label = f"{days} days"
    month_label = last_month_end.strftime("%Y-%m")
    found = [
        Endpoint("api partners", year_label, f"/api/v1/metrics/partners/?{urlencode(year)}", "api"),
        Endpoint(
            "api partners", month_label, f"/api/v1/metrics/partners/?{urlencode(month)}", "api"
        ),
        Endpoint("api summary", year_label, f"/api/v1/metrics/summary/?{urlencode(year)}", "api"),
        Endpoint("api summary", month_label, f"/api/v1/metrics/summary/?{urlencode(month)}", "api"),
        Endpoint(
            "api series by month",
            year_label,
            f"/api/v1/metrics/partners/{ref}/series/?{urlencode({**year, 'interval': 'month'})}",
            "api",
        ),
    ]
    for identity in ("manager", "admin"):
        for preset in ("month", "30d", "quarter", "year"):
            found.append(
                Endpoint(f"dashboard {identity}", preset, f"/?period={preset}", identity, True)
            )
        if live_path:
            for preset in ("month", "year"):
                found.append(
                    Endpoint(
                        f"dashboard live {identity}",
                        preset,
                        f"{live_path}?period={preset}",
                        identity,
                        True,
                    )
                )
        for preset in ("month", "year"):
            found.append(
                Endpoint(f"dashboard {identity} cached", preset, f"/?period={preset}", identity)
            )
    found.append(Endpoint("partner page", "-", f"/partners/{ref}/", "manager"))
    return found


def live_fragment_path() -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in ("console:dashboard_live", "web:dashboard_live", "dashboard_live"):
        try:
            return str(reverse(name, urlconf="prm.urls"))
        except NoReverseMatch:
            continue
    return None


def measure(
    clients: dict[str, Client], endpoint: Endpoint, *, warmup: int, requests: int, cache: Any
) -> dict[str, Figures]:
    """The endpoint's figures on each load (label -> the client of the endpoint's
    identity on that load's tenant): a request on one load, then on the other, the
    first of each pair swapped every pair, so that whatever else the machine does in
    those seconds falls on both loads alike."""
    labels = list(clients)
    samples: dict[str, list[float]] = {label: [] for label in labels}
    for index in range(warmup + requests):
        for label in labels if index % 2 == 0 else labels[::-1]:
            if endpoint.cold:
                cache.flushdb()  # untimed: the next request renders from the rollups
            status, took, body = clients[label].get(endpoint.path)
            if status != 200:
                raise RuntimeError(f"{endpoint.path}: {status} {body[:300]!r}")
            if index >= warmup:
                samples[label].append(took * 1000)
    return {label: figures_of(taken) for label, taken in samples.items()}


def figures_of(samples: list[float]) -> Figures:
    ordered = sorted(samples)

    def quantile(q: float) -> float:
        # nearest rank: the smallest sample with at least q of them at or below it
        index = max(0, min(len(ordered) - 1, -(-int(q * 1000) * len(ordered) // 1000) - 1))
        return ordered[index]

    return Figures(quantile(0.50), quantile(0.95), quantile(0.99), samples)


def measure_all(
    server: benchlib.Server,
    headers: dict[str, dict[str, dict[str, str]]],
    targets: list[Endpoint],
    *,
    warmup: int,
    requests: int,
    rounds: int,
    redis_url: str,
) -> dict[str, dict[str, list[Figures]]]:
    """Per load (the tenants' labels, "1x" and "10x") and endpoint, the figures of each
    round. The loads are interleaved request by request (measure())."""
    import redis

    cache = redis.Redis.from_url(redis_url)
    clients = {
        label: {identity: Client(server, header) for identity, header in identities.items()}
        for label, identities in headers.items()
    }
    labels = list(headers)
    results: dict[str, dict[str, list[Figures]]] = {
        label: {key(endpoint): [] for endpoint in targets} for label in labels
    }
    for round_index in range(rounds):
        ordered = targets if round_index % 2 == 0 else list(reversed(targets))
        for endpoint in ordered:
            measured = measure(
                {label: clients[label][endpoint.identity] for label in labels},
                endpoint,
                warmup=warmup,
                requests=requests,
                cache=cache,
            )
            for label, figures in measured.items():
                results[label][key(endpoint)].append(figures)
                print(
                    f"  round {round_index + 1} {label:>4} {endpoint.name:<24} "
                    f"{endpoint.period:<9} p50 {figures.p50:7.1f}  p95 {figures.p95:7.1f}"
                    f"  p99 {figures.p99:7.1f} ms",
                    flush=True,
                )
    return results


def key(endpoint: Endpoint) -> str:
    return f"{endpoint.name} | {endpoint.period}"


def best(rounds: list[Figures]) -> Figures:
    return min(rounds, key=lambda figures: figures.p95)


def dashboard_present(server: benchlib.Server, headers: dict[str, str]) -> bool:
    """Whether `/` is the metrics dashboard yet (its tiles carry data-metric)."""
    client = Client(server, headers)
    status, _took, body = client.get("/?period=month")
    return status == 200 and b"data-metric" in body


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--multiplier", type=int, default=10, help="raw events of the 2nd run")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--time-zone", default="Europe/Amsterdam")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()
    if options.multiplier < 2:
        parser.error("--multiplier must be at least 2: the bench compares 1x with it")

    started = time.perf_counter()
    with benchlib.bench_database(options, "reads"):
        from django_tenants.utils import tenant_context

        from prm.tenancy.clock import tenant_today

        high = f"{options.multiplier}x"
        loads = {"1x": ("bench", 1), high: ("bench10", options.multiplier)}
        tenants: dict[str, Any] = {}
        keys: dict[str, dict[str, str]] = {}
        for label, (slug, _layers) in loads.items():
            tenants[label] = benchlib.tenant_setup(time_zone=options.time_zone, slug=slug)
            people = tenant_data(tenants[label], options.partners)
            keys[label] = {
                "Host": benchlib.tenant_host(slug),
                "Authorization": f"Bearer {benchlib.api_key_create(tenants[label])}",
            }
        with tenant_context(tenants["1x"]):
            today = tenant_today()
        first_day = today - timedelta(days=options.days - 1)
        environment = benchlib.environment_lines()
        live_path = live_fragment_path()
        targets = endpoints(today=today, days=options.days, ref=people["ref"], live_path=live_path)

        runs: dict[str, dict[str, Any]] = {}
        for label, (slug, layers) in loads.items():
            print(f"\n{label}: tenant {slug}, raw events, layers 1..{layers}", flush=True)
            layers_add(
                tenants[label],
                first=1,
                last=layers,
                start=first_day,
                days=options.days,
                tz=options.time_zone,
            )
            rebuild = rollups_rebuild(tenants[label])
            checks = data_checks(tenants[label], start=first_day, end=today)
            print(
                f"  rollups rebuilt in {rebuild:.1f} s; {checks['counts']}; "
                f"problems: {checks['problems'] or 'none'}",
                flush=True,
            )
            runs[label] = {"rebuild_seconds": rebuild, "checks": checks}
        settle()

        # The API's rate limits would answer 429 to a client this fast; the throttles
        # still run (one cache round trip each), with more room.
        os.environ["PRM_API_RATE_PER_KEY"] = "1000000/minute"
        os.environ["PRM_API_RATE_PER_USER"] = "1000000/minute"
        (benchlib.BENCH_DIR / "results").mkdir(parents=True, exist_ok=True)
        server = benchlib.Server(
            workers=options.server_workers,
            log=benchlib.BENCH_DIR / "results" / "reads-gunicorn.log",
            host=benchlib.tenant_host(loads["1x"][0]),
        )
        try:
            headers = {}
            for label, (slug, _layers) in loads.items():
                host = benchlib.tenant_host(slug)
                headers[label] = {
                    "api": keys[label],
                    "manager": sign_in(server, people["manager"], host),
                    "admin": sign_in(server, ADMIN_EMAIL, host),
                }
            people["dashboard"] = dashboard_present(server, headers["1x"]["admin"])
            print(f"\nmeasuring, {' and '.join(loads)} interleaved", flush=True)
            results = measure_all(
                server,
                headers,
                targets,
                warmup=options.warmup,
                requests=options.requests,
                rounds=options.rounds,
                redis_url=options.redis_url,
            )
        finally:
            server.stop()
        for label in loads:
            runs[label]["results"] = results[label]

        report(options, environment, people, targets, runs, live_path)
        benchlib.write_results(
            "reads",
            {
                "environment": environment,
                "options": vars(options) | {"database_url": None},
                "people": people,
                "runs": {
                    label: {
                        "rebuild_seconds": run["rebuild_seconds"],
                        "checks": run["checks"],
                        "results": {
                            name: [
                                {"p50": f.p50, "p95": f.p95, "p99": f.p99, "ms": f.samples}
                                for f in rounds
                            ]
                            for name, rounds in run["results"].items()
                        },
                    }
                    for label, run in runs.items()
                },
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0


def report(
    options: argparse.Namespace,
    environment: list[str],
    people: dict[str, Any],
    targets: list[Endpoint],
    runs: dict[str, dict[str, Any]],
    live_path: str | None,
) -> None:
    low, high = list(runs)
    lines = [
        "",
        f"prm bench/reads.py: {options.partners} partners x {options.days} days of rollups, "
        f"raw events at {low} and {high}; gunicorn {options.server_workers} worker(s), one "
        f"keep-alive client; {options.requests} timed requests after {options.warmup} "
        f"warm-up, best p95 of {options.rounds} rounds",
        *environment,
    ]
    for label, run in runs.items():
        counts = run["checks"]["counts"]
        lines.append(
            f"  {label}: {run['checks']['raw_events']:,} raw events (orders "
            f"{counts['reporting_order']:,}, calls {counts['reporting_call']:,}, contacts "
            f"{counts['reporting_lead']:,}, inventory {counts['reporting_inventorysnapshot']:,}); "
            f"{counts['reporting_dailyrollup']:,} daily rollups over "
            f"{run['checks']['days_covered']} days; rebuilt in {run['rebuild_seconds']:.0f} s; "
            f"summary = raw counts: "
            f"{'yes' if not run['checks']['problems'] else run['checks']['problems']}"
        )
    lines.append(
        f"  manager: {people['manager']} ({people['manager_partners']} partners, the default "
        f"'my partners'); admin: all {options.partners} partners; dashboard at / in this tree: "
        f"{'yes' if people.get('dashboard') else 'NO (the home page was measured)'}; live "
        f"fragment: {live_path or 'not in this tree'}"
    )
    lines.append("")
    header = (
        f"{'endpoint':<26} {'period':<9} "
        f"{'p50':>6} {'p95':>6} {'p99':>6}   {'p50':>6} {'p95':>6} {'p99':>6}   "
        f"{'ratio':>5}  verdict"
    )
    lines += [
        f"{'':<36} {low + ' (ms)':^20}   {high + ' (ms)':^20}   {'p95':>5}",
        header,
        "-" * len(header),
    ]
    passed = 0
    for endpoint in targets:
        one = best(runs[low]["results"][key(endpoint)])
        ten = best(runs[high]["results"][key(endpoint)])
        ratio = ten.p95 / one.p95
        problems = []
        if max(one.p95, ten.p95) > TARGET_P95_MS:
            problems.append("p95")
        if ratio > TARGET_RATIO:
            problems.append("ratio")
        passed += not problems
        lines.append(
            f"{endpoint.name:<26} {endpoint.period:<9} "
            f"{one.p50:6.1f} {one.p95:6.1f} {one.p99:6.1f}   "
            f"{ten.p50:6.1f} {ten.p95:6.1f} {ten.p99:6.1f}   {ratio:5.2f}  "
            f"{'PASS' if not problems else 'FAIL (' + ', '.join(problems) + ')'}"
        )
    lines += [
        "",
        f"targets: p95 <= {TARGET_P95_MS:.0f} ms at {low} and {high}, {high} / {low} p95 <= "
        f"{TARGET_RATIO}: {passed} of {len(targets)} endpoints pass",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
