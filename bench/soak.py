"""Soak: minutes of mixed load over several tenants on one stack, then a check that
every order the API accepted is counted in the metrics.

Run:  .venv/bin/python bench/soak.py [--duration 300] [--users 30] [--tenants 3]
          [--pace 0.5] [--batch 50] [--partners 50] [--warmup 15] [--spawn-rate 5]
          [--server-workers 4] [--concurrency 2] [--drain 120]
          [--database-url postgres://...] [--redis-url redis://...] [--keep-database]

The stack
---------
What the run command starts (prm/devstack), on loopback and on the bench's own
database and Redis database (bench/benchlib.py): ``gunicorn prm.wsgi:application``
with ``--server-workers`` sync workers, a Celery worker on the default queue (folds),
one on ``bulk,webhooks``, each ``-c --concurrency``, and ``celery beat`` (the 5 s fold
sweep). API rate limits are lifted for the server and workers
(``PRM_API_RATE_LIMITS_ENABLED=false``): the bench measures the stack, not the
limiter. ``--tenants`` tenants, each in its own time zone, each with ``--partners``
partners and three products, an API key (read, write), a manager (every partner's
channel manager) and a portal user of the first partner.

The load
--------
Locust (used as a library: one process, gevent users, ``FastHttpUser``) runs
``--users`` simulated users, each at ``--pace`` tasks a second (``constant_throughput``;
a user whose answer comes later simply waits less), spread over five kinds by
weight and over the tenants in turn, every request to ``http://127.0.0.1:PORT`` with
the tenant's ``Host`` (``<slug>.localhost``):

  ingestion      POST /api/v1/activity/orders/, NDJSON, ``--batch`` new orders (unique
                 external_id, status open 50 % / won 35 % / lost 15 %, amounts in
                 cents the bench keeps), ordered and closed now
  metrics API    GET /api/v1/metrics/partners/ and /summary/ for the checked period
  manager pages  signed in: the dashboard /, /partners/, a partner's page
  portal         signed in as the partner user: /portal/, scorecard, orders
  partner edits  PATCH /api/v1/partners/{ref}/ (contact name, city)
  sign-in        GET and POST /accounts/login/ with the form's CSRF token, once per
                 browser user as it starts

A request is an error when it fails at the socket, answers anything but 200 (a page
that redirects, to the login page say, is an error too), or, for ingestion, reports a
refused row or a created + updated count other than the rows it stored.

The users start at ``--spawn-rate`` a second and the figures are reset ``--warmup``
seconds after the last one started: every server worker loads its code and templates
on its first requests, and every browser user signs in (a password hash, hundreds of
ms of CPU) as it starts, which is not the steady load. The sign-ins' own row and
every error of the warm-up are kept; its orders are sent and checked like the rest.
The measured part is ``--duration`` seconds; the bench prints the requests a second
the users offered (users x pace) against those they achieved (below 95 %: the stack
did not keep up, the users were waiting for answers), and the CPU seconds each part
of the stack, the bench itself and the rest of the machine used meanwhile.
The check
---------
After ``--duration`` seconds no user starts another request, every request in flight
is answered, and the users stop; the bench waits (``--drain`` seconds at most) until each tenant's
``/api/v1/metrics/status/`` says ``pending: 0`` and then compares each tenant's
``/api/v1/metrics/summary/`` over the period (from the day before the run to the day
after, in the tenant's time zone) with what the accepted answers stored:
orders_opened = every accepted row, orders_won and orders_lost = the won and lost
ones, revenue = the sum of the won amounts, and created = rows sent, updated = 0 (the
external ids are unique). It prints per request and per kind: requests, req/s, p50 /
p95 / p99 / max ms (Locust's, which keeps response times to two significant digits),
errors; the highest ``pending`` seen while loading; and ``sent = counted: yes/no`` per
tenant.

Exit status: 0 only when no request failed and every tenant counted exactly what was
sent (unlike the other benches, which exit 0 whenever they ran: this one is a soak
that passes or fails).
"""

from __future__ import annotations

# Locust's users are gevent greenlets: importing locust patches the standard library
# for gevent, which has to happen before anything else imports socket or ssl.
import locust  # isort: skip

import argparse
import contextlib
import itertools
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import benchlib
import gevent
import psutil
from locust import FastHttpUser, constant_throughput, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry

TIME_ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
PASSWORD = "soak-Bench-password-1"  # noqa: S105 (users of a throw-away database)
PORTAL_EMAIL = "portal@bench.example"
PRODUCTS = ["sku-0", "sku-1", "sku-2"]  # benchlib.partners_create makes these
LOGIN = "/accounts/login/"
ORDERS = "/api/v1/activity/orders/"
STATUS = "/api/v1/metrics/status/"
SUMMARY = "/api/v1/metrics/summary/"
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The stack keeps up when the users get this share of the requests they would send if
# every answer came at once; below it they wait for answers (a saturated server).
KEEPS_UP = 0.95

# Request name (as Locust's statistics know it) -> kind, in the order they are printed.
KINDS = {
    "POST /api/v1/activity/orders/": "ingestion",
    "GET /api/v1/metrics/partners/": "metrics API",
    "GET /api/v1/metrics/summary/": "metrics API",
    "GET / (dashboard)": "manager pages",
    "GET /partners/": "manager pages",
    "GET /partners/{ref}/": "manager pages",
    "GET /portal/": "portal",
    "GET /portal/scorecard/": "portal",
    "GET /portal/orders/": "portal",
    "PATCH /api/v1/partners/{ref}/": "partner edits",
    "GET /accounts/login/": "sign-in",
    "POST /accounts/login/": "sign-in",
}


@dataclass
class Tenant:
    slug: str
    host: str
    time_zone: str
    key: str
    refs: list[str]
    start: date = date.min  # the checked period, in the tenant's days
    end: date = date.min
    # What the accepted ingestion answers stored.
    opened: int = 0
    won: int = 0
    lost: int = 0
    revenue: Decimal = Decimal("0.00")
    created: int = 0
    updated: int = 0
    rows_sent: int = 0
    # Rows of ingestion requests that failed: stored or not, the bench cannot tell.
    in_doubt: int = 0
    max_pending: int = 0

    @property
    def period(self) -> str:
        return urlencode({"from": self.start.isoformat(), "to": self.end.isoformat()})


@dataclass
class Check:
    tenant: Tenant
    drained_after: float | None  # seconds after the load until pending 0
    summary: dict[str, Any]
    differences: list[str] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return self.drained_after is not None and not self.differences


@dataclass
class Traffic:
    """Lets the load end between requests: once `stopping`, no user starts another
    one, and the bench waits for `in_flight` to reach 0 before Locust stops the users
    (an ingestion cut off after the server committed it would be counted by the
    metrics but not by the bench)."""

    stopping: bool = False
    in_flight: int = 0
    # (seconds into the measured part, request name, ms) of every answer in it.
    measuring_since: float | None = None
    answers: list[tuple[float, str, float]] = field(default_factory=list)


TRAFFIC = Traffic()


def soak_task(weight: int = 1) -> Callable[[Callable[[Any], None]], Any]:
    """@task(weight) that starts no request once the load is stopping."""

    def decorate(function: Callable[[Any], None]) -> Any:
        def run(user: Any) -> None:
            if TRAFFIC.stopping:
                raise StopUser
            TRAFFIC.in_flight += 1
            try:
                function(user)
            finally:
                TRAFFIC.in_flight -= 1

        run.__name__ = function.__name__
        return task(weight)(run)

    return decorate


def tenants_provision(options: argparse.Namespace) -> list[Tenant]:
    from django_tenants.utils import tenant_context

    from partners.services import partner_user_create
    from prm.tenancy.services import tenant_provision

    tenants = []
    for number in range(options.tenants):
        slug = f"soak-{chr(ord('a') + number)}"
        time_zone = TIME_ZONES[number % len(TIME_ZONES)]
        if number == 0:  # migrate_all, then the first tenant
            tenant = benchlib.tenant_setup(time_zone=time_zone, slug=slug)
        else:
            tenant = tenant_provision(slug=slug, name=f"Soak Corp ({slug})", time_zone=time_zone)
        refs = benchlib.partners_create(tenant, options.partners, manager_password=PASSWORD)
        key = benchlib.api_key_create(tenant)
        with tenant_context(tenant):
            partner_user_create(email=PORTAL_EMAIL, password=PASSWORD, partner_ref=min(refs))
        tenants.append(
            Tenant(
                slug=slug,
                host=benchlib.tenant_host(slug),
                time_zone=time_zone,
                key=key,
                refs=sorted(refs),
            )
        )
    print(f"{len(tenants)} tenants ready: {', '.join(t.host for t in tenants)}", flush=True)
    return tenants


def user_classes(tenants: list[Tenant], options: argparse.Namespace) -> list[type[locust.User]]:
    """The five kinds of users; each new user takes the next tenant for its kind."""
    assigned: Counter[str] = Counter()
    numbers = itertools.count()

    class SoakUser(FastHttpUser):
        abstract = True
        wait_time = constant_throughput(options.pace)
        network_timeout = 120.0
        connection_timeout = 30.0
        tenant: Tenant
        headers: dict[str, str]

        def on_start(self) -> None:
            kind = type(self).__name__
            self.tenant = tenants[assigned[kind] % len(tenants)]
            assigned[kind] += 1
            self.number = next(numbers)
            self.rng = random.Random(self.number)
            self.headers = {"Host": self.tenant.host}

        def get_page(self, path: str, name: str) -> None:
            """A page that must answer 200 itself (a redirect means the session is gone)."""
            with self.client.get(
                path, headers=self.headers, name=name, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 200:
                    location = response.headers.get("Location", "") if response.headers else ""
                    response.failure(f"{response.status_code} {location}".strip())

    class ApiUser(SoakUser):
        abstract = True

        def on_start(self) -> None:
            super().on_start()
            self.headers = {**self.headers, "Authorization": f"Bearer {self.tenant.key}"}

    class BrowserUser(SoakUser):
        abstract = True
        email = benchlib.MANAGER_EMAIL

        def on_start(self) -> None:
            super().on_start()
            if TRAFFIC.stopping:
                raise StopUser
            TRAFFIC.in_flight += 1
            try:
                self.sign_in()
            finally:
                TRAFFIC.in_flight -= 1

        def sign_in(self) -> None:
            page = self.client.get(LOGIN, headers=self.headers, name="GET /accounts/login/")
            match = FORM_TOKEN.search(page.text or "")
            form = {
                "username": self.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": match.group(1) if match else "",
                "next": "",
            }
            with self.client.post(
                LOGIN,
                data=urlencode(form),
                headers={**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
                name="POST /accounts/login/",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                location = response.headers.get("Location", "") if response.headers else ""
                if response.status_code != 302 or location.startswith(LOGIN):
                    response.failure(f"not signed in: {response.status_code} {location}")

    class Ingestion(ApiUser):
        weight = 3

        def on_start(self) -> None:
            super().on_start()
            self.sequence = 0
            self.zone = ZoneInfo(self.tenant.time_zone)

        @soak_task()
        def post_orders(self) -> None:
            tenant = self.tenant
            now = datetime.now(UTC).isoformat()
            rows: list[dict[str, Any]] = []
            for index in range(options.batch):
                roll = self.rng.random()
                status = "open" if roll < 0.5 else "won" if roll < 0.85 else "lost"
                cents = self.rng.randrange(100, 500_000)
                rows.append(
                    {
                        "external_id": f"soak-{self.number}-{self.sequence}-{index}",
                        "partner": self.rng.choice(tenant.refs),
                        "product": self.rng.choice(PRODUCTS),
                        "status": status,
                        "amount": f"{cents // 100}.{cents % 100:02d}",
                        "cost": f"{cents // 300}.{cents % 100:02d}",
                        "quantity": self.rng.randrange(1, 5),
                        "channel": "online_store",
                        "ordered_at": now,
                        "closed_at": None if status == "open" else now,
                    }
                )
            self.sequence += 1
            body = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
            tenant.rows_sent += len(rows)
            with self.client.post(
                ORDERS,
                data=body,
                headers={**self.headers, "Content-Type": "application/x-ndjson"},
                name="POST /api/v1/activity/orders/",
                catch_response=True,
            ) as response:
                try:
                    answer = response.json() if response.status_code == 200 else None
                except ValueError:
                    answer = None
                if not isinstance(answer, dict):
                    tenant.in_doubt += len(rows)
                    response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                    return
                refused = {error.get("index") for error in answer.get("errors") or []}
                stored = [row for index, row in enumerate(rows) if index not in refused]
                created, updated = int(answer.get("created", 0)), int(answer.get("updated", 0))
                tenant.created += created
                tenant.updated += updated
                tenant.opened += len(stored)
                for row in stored:
                    if row["status"] == "won":
                        tenant.won += 1
                        tenant.revenue += Decimal(row["amount"])
                    elif row["status"] == "lost":
                        tenant.lost += 1
                if refused or created + updated != len(stored):
                    response.failure(
                        f"{len(refused)} rows refused, created {created} + updated {updated} "
                        f"of {len(rows)}: {str(answer.get('errors'))[:200]}"
                    )

    class MetricsApi(ApiUser):
        weight = 2

        @soak_task(2)
        def partners(self) -> None:
            self.client.get(
                f"/api/v1/metrics/partners/?{self.tenant.period}",
                headers=self.headers,
                name="GET /api/v1/metrics/partners/",
            )

        @soak_task(1)
        def summary(self) -> None:
            self.client.get(
                f"{SUMMARY}?{self.tenant.period}",
                headers=self.headers,
                name="GET /api/v1/metrics/summary/",
            )

    class ManagerPages(BrowserUser):
        weight = 2

        @soak_task(2)
        def dashboard(self) -> None:
            self.get_page("/", "GET / (dashboard)")

        @soak_task(1)
        def partner_list(self) -> None:
            self.get_page("/partners/", "GET /partners/")

        @soak_task(2)
        def partner_page(self) -> None:
            self.get_page(f"/partners/{self.rng.choice(self.tenant.refs)}/", "GET /partners/{ref}/")

    class PortalPages(BrowserUser):
        weight = 2
        email = PORTAL_EMAIL

        @soak_task(2)
        def home(self) -> None:
            self.get_page("/portal/", "GET /portal/")

        @soak_task(1)
        def scorecard(self) -> None:
            self.get_page("/portal/scorecard/", "GET /portal/scorecard/")

        @soak_task(1)
        def orders(self) -> None:
            self.get_page("/portal/orders/", "GET /portal/orders/")

    class PartnerEdits(ApiUser):
        weight = 1

        @soak_task()
        def edit(self) -> None:
            ref = self.rng.choice(self.tenant.refs)
            self.client.patch(
                f"/api/v1/partners/{ref}/",
                json={
                    "contact_name": f"Contact {self.rng.randrange(1_000_000)}",
                    "city": self.rng.choice(["Leeds", "Porto", "Graz", "Turku"]),
                },
                headers=self.headers,
                name="PATCH /api/v1/partners/{ref}/",
            )

    return [Ingestion, MetricsApi, ManagerPages, PortalPages, PartnerEdits]


class CpuMeter:
    """CPU seconds used by each part of the stack (a process and its children; the
    PostgreSQL backends of the bench's database), and by the whole machine, between two
    readings: what the load cost and how busy the machine was with other work."""

    def __init__(self, roots: dict[str, int], database: str) -> None:
        self.roots = roots
        self.database = database

    @staticmethod
    def _seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    def reading(self) -> tuple[float, dict[str, dict[int, float]], float]:
        parts: dict[str, dict[int, float]] = {}
        for name, pid in self.roots.items():
            parts[name] = {}
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                # (the bench's own children are the parts above, not itself)
                children = root.children(recursive=True) if pid != os.getpid() else []
                for process in [root, *children]:
                    with contextlib.suppress(psutil.Error):
                        parts[name][process.pid] = self._seconds(process)
        parts["postgresql"] = {}
        for process in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                if f" {self.database} " in " ".join(process.info["cmdline"] or []) + " ":
                    parts["postgresql"][process.pid] = self._seconds(process)
        machine = psutil.cpu_times()
        busy = float(sum(machine)) - machine.idle - getattr(machine, "iowait", 0.0)
        return time.monotonic(), parts, busy

    @staticmethod
    def used(
        before: tuple[float, dict[str, dict[int, float]], float],
        after: tuple[float, dict[str, dict[int, float]], float],
    ) -> dict[str, float]:
        """Seconds per part, 'rest of the machine', and the wall-clock seconds between."""
        figures = {
            name: sum(
                seconds - before[1].get(name, {}).get(pid, 0.0) for pid, seconds in pids.items()
            )
            for name, pids in after[1].items()
        }
        figures["rest of the machine"] = max(0.0, after[2] - before[2] - sum(figures.values()))
        figures["wall clock"] = after[0] - before[0]
        return figures


def status_of(server: benchlib.Server, tenant: Tenant) -> int | None:
    """The tenant's pending count, None if the status endpoint did not answer it."""
    status, answer, _ = server.request(
        "GET", STATUS, headers={"Host": tenant.host, "Authorization": f"Bearer {tenant.key}"}
    )
    if status != 200 or not isinstance(answer, dict):
        return None
    return int(answer["pending"])


def watch(server: benchlib.Server, tenants: list[Tenant], env: Environment, every: float) -> None:
    """While loading: the highest pending per tenant, and a progress line a while."""
    started = time.monotonic()
    printed = started
    while True:
        gevent.sleep(every)
        pending = {}
        for tenant in tenants:
            count = status_of(server, tenant)
            if count is not None:
                tenant.max_pending = max(tenant.max_pending, count)
            pending[tenant.slug] = count
        now = time.monotonic()
        if now - printed >= 30:
            printed = now
            total = env.stats.total
            print(
                f"  {now - started:4.0f} s: {total.num_requests} requests, "
                f"{total.num_failures} errors, {total.current_rps:.0f} req/s now; pending "
                + " ".join(f"{slug} {count}" for slug, count in pending.items()),
                flush=True,
            )


@dataclass
class Warmup:
    """What Locust counted while the users started and signed in, before its figures
    were reset for the measured part: the sign-ins and every error."""

    seconds: float
    requests: int
    failures: int
    errors: list[dict[str, Any]]
    sign_in: dict[str, StatsEntry]
    load_average: tuple[float, float, float]  # when it ended and the measured part began


def load(
    options: argparse.Namespace, tenants: list[Tenant], server: benchlib.Server, meter: CpuMeter
) -> tuple[Environment, Warmup, float, dict[str, float]]:
    """Start the users, let them warm up, then run them for --duration seconds; (the
    environment, the warm-up, seconds measured, CPU seconds used meanwhile by each
    part)."""
    locust.log.setup_logging("WARNING")
    env = Environment(
        user_classes=user_classes(tenants, options),
        host=f"http://127.0.0.1:{server.port}",
        stop_timeout=10,
    )
    runner = env.create_local_runner()

    def on_request(name: str, response_time: float, **_: Any) -> None:
        if TRAFFIC.measuring_since is not None:
            at = time.monotonic() - TRAFFIC.measuring_since
            TRAFFIC.answers.append((at, name, response_time))

    env.events.request.add_listener(on_request)
    today = datetime.now(UTC)
    days = 2 + int(options.duration // 86400)
    for tenant in tenants:
        local = today.astimezone(ZoneInfo(tenant.time_zone)).date()
        tenant.start, tenant.end = local - timedelta(days=1), local + timedelta(days=days)
    print(
        f"load: {options.users} users at {options.pace:g} tasks/s each for "
        f"{options.duration:.0f} s, {options.batch} orders per ingestion request",
        flush=True,
    )
    watcher = gevent.spawn(watch, server, tenants, env, 2.0)
    runner.start(options.users, spawn_rate=options.spawn_rate)
    # Every server worker loads its code and templates on its first requests, and
    # every browser user signs in (a password hash, hundreds of ms of CPU) as it
    # starts: none of that is the steady load the figures are about.
    warmup_seconds = options.users / options.spawn_rate + options.warmup
    gevent.sleep(warmup_seconds)
    sign_in = {}
    for entry in env.stats.entries.values():
        if KINDS.get(entry.name) == "sign-in":
            sign_in[entry.name] = StatsEntry(env.stats, entry.name, entry.method)
            sign_in[entry.name].extend(entry)
    warmup = Warmup(
        seconds=warmup_seconds,
        requests=env.stats.total.num_requests,
        failures=env.stats.total.num_failures,
        errors=[error.to_dict() for error in env.stats.errors.values()],
        sign_in=sign_in,
        load_average=os.getloadavg(),
    )
    env.stats.reset_all()
    before = meter.reading()
    started = TRAFFIC.measuring_since = time.monotonic()
    gevent.sleep(options.duration)
    TRAFFIC.stopping = True
    deadline = time.monotonic() + 300
    while TRAFFIC.in_flight and time.monotonic() < deadline:
        gevent.sleep(0.05)
    seconds = time.monotonic() - started
    cpu = CpuMeter.used(before, meter.reading())
    if TRAFFIC.in_flight:
        print(f"{TRAFFIC.in_flight} requests still unanswered after 300 s", flush=True)
    runner.stop()
    watcher.kill()
    runner.quit()
    return env, warmup, seconds, cpu


def check(server: benchlib.Server, tenants: list[Tenant], drain: float) -> list[Check]:
    started = time.monotonic()
    drained: dict[str, float | None] = {}
    waiting = list(tenants)
    while waiting and time.monotonic() - started < drain:
        for tenant in list(waiting):
            if status_of(server, tenant) == 0:
                drained[tenant.slug] = time.monotonic() - started
                waiting.remove(tenant)
        if waiting:
            time.sleep(0.2)
    checks = []
    for tenant in tenants:
        auth = {"Host": tenant.host, "Authorization": f"Bearer {tenant.key}"}
        status, summary, _ = server.request("GET", f"{SUMMARY}?{tenant.period}", headers=auth)
        if status != 200 or not isinstance(summary, dict):
            summary = {"error": f"{status} {summary}"}
        result = Check(tenant=tenant, drained_after=drained.get(tenant.slug), summary=summary)
        expected: dict[str, Any] = {
            "orders_opened": tenant.opened,
            "orders_won": tenant.won,
            "orders_lost": tenant.lost,
            "revenue": tenant.revenue,
        }
        for name, value in expected.items():
            got = summary.get(name)
            if (Decimal(str(got)) if got is not None else None) != value:
                result.differences.append(f"{name} {got} != sent {value}")
        if tenant.created != tenant.rows_sent or tenant.updated:
            result.differences.append(
                f"created {tenant.created} + updated {tenant.updated} of {tenant.rows_sent} sent"
            )
        if tenant.in_doubt:
            result.differences.append(f"{tenant.in_doubt} rows sent in failed requests")
        if result.drained_after is None:
            result.differences.append(f"still pending after {drain:.0f} s")
        checks.append(result)
    return checks


def stats_rows(
    env: Environment, warmup: Warmup, seconds: float
) -> tuple[list[str], dict[str, Any]]:
    """The table per request and per kind (the sign-ins of the warm-up included), and
    the same figures for the JSON."""

    def row(label: str, entry: StatsEntry) -> tuple[str, dict[str, Any]]:
        figures = {
            "requests": entry.num_requests,
            "rps": entry.num_requests / seconds,
            "p50": entry.get_response_time_percentile(0.50) if entry.num_requests else 0,
            "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else 0,
            "p99": entry.get_response_time_percentile(0.99) if entry.num_requests else 0,
            "max": entry.max_response_time,
            "errors": entry.num_failures,
        }
        return (
            f"  {label:<34} {figures['requests']:>8} {figures['rps']:>7.1f} {figures['p50']:>6} "
            f"{figures['p95']:>6} {figures['p99']:>6} {figures['max']:>6.0f} "
            f"{figures['errors']:>6}",
            figures,
        )

    header = (
        f"  {'':<34} {'requests':>8} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'max':>6} {'errors':>6}"
    )
    entries = dict(warmup.sign_in)
    for entry in env.stats.entries.values():
        if entry.name in entries:
            entries[entry.name].extend(entry)
        else:
            entries[entry.name] = entry
    unknown = sorted(set(entries) - set(KINDS))
    lines = ["per request (ms)", header]
    by_kind: dict[str, StatsEntry] = {}
    figures: dict[str, Any] = {"requests": {}, "kinds": {}}
    for name in [*KINDS, *unknown]:
        if name not in entries:
            continue
        line, figures["requests"][name] = row(name, entries[name])
        lines.append(line)
        kind = KINDS.get(name, "other")
        if kind not in by_kind:
            by_kind[kind] = StatsEntry(env.stats, kind, "")
        by_kind[kind].extend(entries[name])
    lines += ["", "per kind (ms)", header]
    for kind, entry in by_kind.items():
        line, figures["kinds"][kind] = row(kind, entry)
        lines.append(line)
    total = StatsEntry(env.stats, "total", "")
    for kind, entry in by_kind.items():
        if kind != "sign-in":
            total.extend(entry)
    line, figures["total"] = row("total but sign-in", total)
    lines.append(line)
    return lines, figures


def timeline(duration: float) -> tuple[list[str], list[dict[str, float]]]:
    """Requests a second and response times of every kind but sign-in, per slice of the
    measured part (a minute, or a tenth of a shorter run): does the stack hold?"""
    width = 60.0 if duration >= 300 else max(1.0, duration / 10)
    last = max(0, math.ceil(duration / width) - 1)  # (answers in flight at the end: in it)
    slices: dict[int, list[float]] = {}
    for at, name, milliseconds in TRAFFIC.answers:
        if KINDS.get(name) != "sign-in":
            slices.setdefault(min(last, int(at // width)), []).append(milliseconds)
    lines = [
        f"over time (slices of {width:.0f} s, every kind but sign-in; ms)",
        f"  {'from s':>7} {'req/s':>7} {'p50':>6} {'p95':>6} {'max':>6}",
    ]
    figures = []
    for number in sorted(slices):
        times = sorted(slices[number])
        row = {
            "from": number * width,
            "rps": len(times) / min(width, duration - number * width),
            "p50": percentile(times, 0.50),
            "p95": percentile(times, 0.95),
            "max": times[-1],
        }
        figures.append(row)
        lines.append(
            f"  {row['from']:>7.0f} {row['rps']:>7.1f} {row['p50']:>6.0f} {row['p95']:>6.0f} "
            f"{row['max']:>6.0f}"
        )
    return lines, figures


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank of sorted values."""
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=30, help="simulated users in all")
    parser.add_argument("--pace", type=float, default=0.5, help="tasks a second per user")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started a second")
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="seconds after the last user started"
    )
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--partners", type=int, default=50, help="partners per tenant")
    parser.add_argument("--batch", type=int, default=50, help="orders per ingestion request")
    parser.add_argument("--server-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per celery worker")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to wait after")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()
    if not 1 <= options.tenants <= 26:
        parser.error("--tenants: 1 to 26")

    started = time.perf_counter()
    with (
        benchlib.bench_database(options, "soak") as database,
        tempfile.TemporaryDirectory(prefix="prm-bench-soak-") as scratch_name,
    ):
        scratch = Path(scratch_name)
        # The server and workers inherit this: the bench measures the stack, not the
        # API's rate limiter (which would answer 429 to a key sending this much).
        os.environ["PRM_API_RATE_LIMITS_ENABLED"] = "false"
        tenants = tenants_provision(options)
        environment = benchlib.environment_lines()
        processes = []
        server = None
        try:
            started_workers = []
            for name, queues in (("default", "celery"), ("bulk", "bulk,webhooks")):
                log = scratch / f"celery-{name}.log"
                processes.append(
                    benchlib.celery_start(
                        name=f"soak-{name}",
                        arguments=["worker", "-Q", queues, "-c", str(options.concurrency)],
                        log=log,
                    )
                )
                started_workers.append((processes[-1], log))
            benchlib.workers_wait(2, started_workers)
            processes.append(
                benchlib.celery_start(
                    name="soak-beat",
                    arguments=["beat", "-s", str(scratch / "beat-schedule")],
                    log=scratch / "celery-beat.log",
                )
            )
            server = benchlib.Server(
                workers=options.server_workers,
                log=scratch / "gunicorn.log",
                host=tenants[0].host,
            )
            meter = CpuMeter(
                {
                    "gunicorn": server.process.pid,
                    "celery default": processes[0].pid,
                    "celery bulk": processes[1].pid,
                    "beat": processes[2].pid,
                    "bench (Locust)": os.getpid(),
                },
                database,
            )
            env, warmup, seconds, cpu = load(options, tenants, server, meter)
            load_end = datetime.now().isoformat(timespec="seconds")
            end_load = " ".join(f"{value:.1f}" for value in os.getloadavg())
            checks = check(server, tenants, options.drain)
        finally:
            if server is not None:
                server.stop()
            for process in reversed(processes):
                benchlib.stop_process(process)
            if server is not None and (server.process.returncode or 0) not in (0, -15):
                print(benchlib.tail(server.log))

        table, figures = stats_rows(env, warmup, seconds)
        slices, figures["timeline"] = timeline(options.duration)
        assert env.runner is not None
        exceptions = sum(int(value["count"]) for value in env.runner.exceptions.values())
        failures = warmup.failures + env.stats.total.num_failures
        errors = failures + exceptions
        capacity = cpu["wall clock"] * (os.cpu_count() or 1)
        offered = options.users * options.pace
        achieved = figures["total"]["rps"]
        lines = [
            "",
            f"prm bench/soak.py: {seconds:.0f} s of mixed load over {len(tenants)} tenants "
            f"(after {warmup.seconds:.0f} s of warm-up)",
            *environment,
            "  load average when the measured part began "
            + " ".join(f"{value:.1f}" for value in warmup.load_average)
            + f", when it ended ({load_end}) {end_load}",
            f"  {options.users} users at {options.pace:g} tasks/s, {options.batch} orders per "
            f"ingestion request, {options.partners} partners per tenant; gunicorn "
            f"{options.server_workers} workers; celery default + bulk -c {options.concurrency}, "
            "beat; PRM_API_RATE_LIMITS_ENABLED=false",
            "",
            *table,
            "  (sign-in: as the users started, in the warm-up; every other row: the measured "
            f"{seconds:.0f} s)",
            "",
            *slices,
            "",
            f"offered {offered:.1f} requests/s ({options.users} users x {options.pace:g}), "
            f"achieved {achieved:.1f} ({achieved / offered:.0%}): "
            + (
                "the stack kept up"
                if achieved >= KEEPS_UP * offered
                else "the stack did not keep up (saturated: fewer --users or a lower --pace)"
            ),
            "",
            f"CPU seconds during the measured part ({cpu['wall clock']:.0f} s x "
            f"{os.cpu_count()} CPUs = {capacity:.0f}): "
            + ", ".join(
                f"{name} {value:.0f}" for name, value in cpu.items() if name != "wall clock"
            ),
            "",
            f"errors: {errors} ({warmup.failures} failed requests in the warm-up, "
            f"{env.stats.total.num_failures} in the measured part, {exceptions} exceptions in "
            "users)",
        ]
        for error in [*warmup.errors, *[e.to_dict() for e in env.stats.errors.values()]][:8]:
            lines.append(
                f"  {error['occurrences']} x {error['method']} {error['name']}: {error['error']}"
            )
        exception: Any  # (Locust types them loosely: {"msg", "traceback", "nodes", ...})
        for exception in list(env.runner.exceptions.values())[:3]:
            lines.append(f"  exception: {exception['msg']}\n{exception['traceback'][-600:]}")
        lines += ["", "sent = counted (orders in /api/v1/metrics/summary/ after pending 0)"]
        for result in checks:
            tenant = result.tenant
            drained = (
                f"pending 0 after {result.drained_after:.1f} s"
                if result.drained_after is not None
                else "never drained"
            )
            lines.append(
                f"  {tenant.slug} ({tenant.time_zone}, {tenant.start} to {tenant.end}): sent "
                f"{tenant.rows_sent} orders, accepted {tenant.opened} (won {tenant.won}, lost "
                f"{tenant.lost}, revenue {tenant.revenue}); counted "
                f"{result.summary.get('orders_opened')} (won {result.summary.get('orders_won')}"
                f", lost {result.summary.get('orders_lost')}, revenue "
                f"{result.summary.get('revenue')}); highest pending while loading "
                f"{tenant.max_pending}, {drained}: sent = counted: "
                f"{'yes' if result.counted else 'no'}"
            )
            lines += [f"    {difference}" for difference in result.differences]
        passed = errors == 0 and all(result.counted for result in checks)
        lines += ["", f"soak: {'PASS' if passed else 'FAIL'} (0 errors and sent = counted)"]
        print("\n".join(lines))
        benchlib.write_results(
            "soak",
            {
                "environment": environment,
                "options": vars(options) | {"database_url": None},
                "seconds": seconds,
                "cpu_seconds": cpu,
                "offered_rps": offered,
                "achieved_rps": achieved,
                "figures": figures,
                "warmup": {
                    "seconds": warmup.seconds,
                    "requests": warmup.requests,
                    "failures": warmup.failures,
                },
                "errors": [
                    *warmup.errors,
                    *[error.to_dict() for error in env.stats.errors.values()],
                ],
                "checks": [
                    {
                        "tenant": result.tenant.slug,
                        "sent": result.tenant.rows_sent,
                        "accepted": result.tenant.opened,
                        "won": result.tenant.won,
                        "lost": result.tenant.lost,
                        "revenue": result.tenant.revenue,
                        "summary": result.summary,
                        "max_pending": result.tenant.max_pending,
                        "drained_after": result.drained_after,
                        "counted": result.counted,
                    }
                    for result in checks
                ],
            },
        )
        print(f"\nbench run time {time.perf_counter() - started:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
