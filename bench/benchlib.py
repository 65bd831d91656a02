"""What bench/ingest.py, bench/lag.py and bench/recompute.py share: a throw-away
database on the configured server, Django set up against it, a tenant provisioned
through the product's own services, partners, an API key, and real server and worker
subprocesses (gunicorn, celery) on that database.

Every bench creates ``prm_bench_<name>_<time>_<pid>`` and drops it at the end (only
names with that prefix are ever dropped), uses Redis database 11 by default, and
serves the tenant at ``bench.localhost``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
VENV_BIN = Path(sys.executable).parent
DATABASE_PREFIX = "prm_bench_"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
SETTINGS_MODULE = "bench_settings"  # bench/bench_settings.py
TENANT_SLUG = "bench"
MANAGER_EMAIL = "manager@bench.example"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_SERVER),
        help="server and credentials; the bench creates and drops its own database",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        help="Redis database for cache and broker (flushed at start)",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")


# --- database lifecycle (before Django is set up) -------------------------------------


def server_url(database_url: str, database: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def _admin_connection(database_url: str) -> Any:
    import psycopg2

    connection = psycopg2.connect(server_url(database_url, "postgres"))
    connection.autocommit = True
    return connection


def database_create(database_url: str, tag: str) -> str:
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    name = f"{DATABASE_PREFIX}{tag}_{stamp}_{os.getpid()}"
    connection = _admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return name


def database_drop(database_url: str, name: str) -> None:
    assert name.startswith(DATABASE_PREFIX), name  # never anything but our own
    connection = _admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def redis_flush(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def bench_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of this process and of its server and worker subprocesses."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO)]),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "600",
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def bench_database(options: argparse.Namespace, tag: str) -> Iterator[str]:
    """Create the database, set this process up for Django on it, drop it after."""
    name = database_create(options.database_url, tag)
    print(f"database {name} created", flush=True)
    environment = bench_environment(server_url(options.database_url, name), options.redis_url)
    os.environ.update({k: v for k, v in environment.items() if k != "PYTHONPATH"})
    for path in (str(REPO), str(BENCH_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    redis_flush(options.redis_url)
    try:
        import django

        django.setup()
        yield name
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if options.keep_database:
            print(f"database {name} kept")
        else:
            database_drop(options.database_url, name)
            print(f"database {name} dropped")
        with contextlib.suppress(Exception):
            redis_flush(options.redis_url)


# --- tenant, users, partners (Django set up) ------------------------------------------


def tenant_setup(*, time_zone: str = "UTC", slug: str = TENANT_SLUG) -> Any:
    """migrate_all (public schema, template), then one tenant by tenant_provision."""
    from django.core.management import call_command

    from prm.tenancy.services import tenant_provision

    started = time.perf_counter()
    call_command("migrate_all", executor="standard", verbosity=0)
    tenant = tenant_provision(slug=slug, name=f"Bench Corp ({slug})", time_zone=time_zone)
    print(f"tenant {tenant.slug} ({time_zone}) ready in {time.perf_counter() - started:.1f} s")
    return tenant


def api_key_create(tenant: Any) -> str:
    from django_tenants.utils import tenant_context

    from prm.accounts.services import api_key_create as create

    with tenant_context(tenant):
        _, key = create(name="bench", scopes=["read", "write"])
    return key


def partners_create(
    tenant: Any, count: int, *, manager_password: str | None = None
) -> dict[str, int]:
    """`count` partners through partners.services.partner_create (the product path),
    all managed by manager@bench.example (who can sign in with `manager_password` if
    one is given); returns ref -> id."""
    from django_tenants.utils import tenant_context

    from partners.services import partner_create, product_create
    from prm.accounts.models import Role
    from prm.accounts.services import user_create

    started = time.perf_counter()
    refs: dict[str, int] = {}
    with tenant_context(tenant):
        manager = user_create(
            email=MANAGER_EMAIL,
            password=manager_password,
            role=Role.MANAGER,
            check_password=False,
        )
        for index in range(3):
            product_create(actor=None, sku=f"sku-{index}", name=f"Product {index}")
        for index in range(count):
            partner = partner_create(
                actor=None,
                ref=f"p{index:05d}",
                name=f"Partner {index}",
                channel_manager=manager,
                status="active",
            )
            refs[partner.ref] = partner.pk
    print(f"{count} partners created in {time.perf_counter() - started:.1f} s", flush=True)
    return refs


def tenant_host(slug: str = TENANT_SLUG) -> str:
    from prm.tenancy.services import host_for

    return host_for(slug)


# --- subprocesses -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn prm.wsgi:application on 127.0.0.1:<free port>, bench settings."""

    def __init__(self, *, workers: int, log: Path, host: str) -> None:
        self.port = free_port()
        self.host = host
        self.log = log
        from django.conf import settings

        environment = {
            **os.environ,
            **bench_environment(os.environ["DATABASE_URL"], settings.REDIS_URL),
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "prm.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "900",
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{tail(log)}")
            try:
                status, _, _ = self.request("GET", "/api/v1/")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer in time:\n{tail(log)}")
            time.sleep(0.2)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        connection: http.client.HTTPConnection | None = None,
    ) -> tuple[int, Any, float]:
        """(status, decoded JSON body or text, seconds from send to whole response)."""
        own = connection is None
        conn = connection or self.connection()
        try:
            started = time.perf_counter()
            conn.request(method, path, body=body, headers={"Host": self.host, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            took = time.perf_counter() - started
        finally:
            if own:
                conn.close()
        try:
            decoded: Any = json.loads(data)
        except ValueError:
            decoded = data[:500].decode(errors="replace")
        return response.status, decoded, took

    def stop(self) -> None:
        stop_process(self.process)


class Worker:
    """celery -A prm worker (prefork, default concurrency) with beat embedded (-B),
    so the 5 s sweep of the product's beat schedule runs too."""

    def __init__(self, *, log: Path, beat_schedule: Path, concurrency: int) -> None:
        from django.conf import settings

        environment = {
            **os.environ,
            **bench_environment(os.environ["DATABASE_URL"], settings.REDIS_URL),
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "prm",
                    "worker",
                    "-B",
                    "-s",
                    str(beat_schedule),
                    "-c",
                    str(concurrency),
                    "-l",
                    "WARNING",
                    "-n",
                    f"prm-bench-{os.getpid()}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=REPO,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        from prm.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None:
                raise RuntimeError(f"celery exited:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"celery did not answer a ping in time:\n{tail(log)}")

    def stop(self) -> None:
        stop_process(self.process)


def celery_start(*, name: str, arguments: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`celery -A prm <arguments>` on the bench database and Redis, its output in `log`;
    `name` becomes the node name of a worker (unique per bench process)."""
    from django.conf import settings

    environment = {
        **os.environ,
        **bench_environment(os.environ["DATABASE_URL"], settings.REDIS_URL),
    }
    command = [str(VENV_BIN / "celery"), "-A", "prm", *arguments, "-l", "WARNING"]
    if arguments[0] == "worker":
        command += ["-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT
        )


def workers_wait(
    count: int, started: list[tuple[subprocess.Popen[bytes], Path]], timeout: float = 60
) -> None:
    """Until `count` workers answer a ping; fails early, with its log, if one of the
    `started` (process, log) exits."""
    from prm.celery import app

    deadline = time.monotonic() + timeout
    while len(app.control.ping(timeout=0.5)) < count:
        for process, log in started:
            if process.poll() is not None:
                raise RuntimeError(f"celery exited while starting:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} celery workers did not answer a ping in time")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- report helpers ------------------------------------------------------------------------


def environment_lines() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('synchronous_commit'), current_setting('jit')"
        )
        version, buffers, sync, jit = cursor.fetchone()
    load = os.getloadavg()
    return [
        f"  when: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"  postgresql {version}, shared_buffers={buffers}, synchronous_commit={sync}, jit={jit}",
        f"  python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
    ]


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def write_results(name: str, figures: dict[str, Any]) -> None:
    """Raw figures to bench/results/<name>-latest.json (ignored by git)."""
    path = BENCH_DIR / "results" / f"{name}-latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nraw figures: {path.relative_to(REPO)}")
