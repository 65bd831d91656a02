"""`python -m prm.devstack run` and `python -m prm.devstack test [pytest args]`."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .services import DATA, ROOT, EmbeddedPostgres, EmbeddedRedis, log

BIN = Path(sys.executable).parent
DEMO_SLUG = "demo"


def _secret_key() -> str:
    path = DATA / "secret_key"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# PRM_ENV_FILE moves it (the tests' copy).
ENV_FILE = Path(os.environ.get("PRM_ENV_FILE") or DATA / "env")
# What a second shell needs to reach what the run command runs (prm/settings/local.py
# reads the file; variables set in that shell win).
SHARED_VARIABLES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PRM_PUBLIC_PORT")


def write_env_file(environment: dict[str, str], *, running: bool) -> None:
    """`.devdata/env` for `manage.py` beside the run command: the secret key always,
    and while the run lasts the database, Redis and port it uses (embedded or given)."""
    names = SHARED_VARIABLES if running else ("SECRET_KEY",)
    lines = [
        "# Written by `make run` for manage.py in another shell; rewritten on every start.",
        *(f"{name}={environment[name]}" for name in names if environment.get(name)),
    ]
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    ENV_FILE.write_text("\n".join(lines) + "\n")
    ENV_FILE.chmod(0o600)


@contextmanager
def data_stores() -> Iterator[dict[str, str]]:
    """The environment for Django: given servers, or embedded ones started here."""
    environment = dict(os.environ)
    environment.setdefault("SECRET_KEY", _secret_key())
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if not environment.get("DATABASE_URL"):
            postgres = EmbeddedPostgres()
            embedded.append(postgres)
            environment["DATABASE_URL"] = postgres.start()
        if not environment.get("REDIS_URL"):
            redis = EmbeddedRedis()
            embedded.append(redis)
            environment["REDIS_URL"] = redis.start()
        yield environment
    finally:
        for service in reversed(embedded):
            service.stop()


class Supervisor:
    """Starts the processes, each in its own session so a Ctrl-C reaches us first,
    restarts one that dies (a Celery worker exits when Redis restarts under it), and
    stops them all, in reverse order, however we are stopped."""

    RESTARTS = 5  # at most this many restarts of one process ...
    WINDOW = 300.0  # ... within this many seconds; then the run gives up.

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.restarts: dict[str, list[float]] = {}
        self.stopping = False

    def start(self, name: str, command: list[str], environment: dict[str, str]) -> None:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
        self.processes.append((name, process))
        self.commands[name] = (command, environment)

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.processes:
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def keep_alive(self) -> tuple[str, int] | None:
        """Restart what has exited; the process that exited too often, if one did."""
        for index, (name, process) in enumerate(self.processes):
            code = process.poll()
            if code is None:
                continue
            now = time.monotonic()
            recent = [at for at in self.restarts.get(name, []) if now - at < self.WINDOW]
            if len(recent) >= self.RESTARTS:
                return name, code
            self.restarts[name] = [*recent, now]
            log(f"{name} exited with status {code}; restarting it")
            command, environment = self.commands[name]
            self.processes[index] = (
                name,
                subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True),
            )
        return None

    def stop(self) -> None:
        self.stopping = True
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # The group may outlive its leader (a prefork child finishing a task).
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def stop_on_signals() -> None:
    """SIGINT and SIGTERM interrupt the run once; later ones are ignored, so a second
    signal cannot cut the shutdown short. `make` forwards the SIGTERM its process
    group already got, so two usually arrive together."""
    received = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal received
        if received:
            return
        received = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def manage(environment: dict[str, str], *arguments: str) -> str:
    """Run a management command; its output is shown and returned."""
    completed = subprocess.run(
        [str(BIN / "python"), "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    print(completed.stdout, end="", flush=True)
    return completed.stdout


def wait_healthy(port: int, host: str, supervisor: Supervisor, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    while time.monotonic() < deadline:
        if (failed := supervisor.exited()) is not None:
            raise RuntimeError(f"{failed[0]} exited with status {failed[1]} while starting")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (http on loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"http://{host}:{port}/healthz did not answer 200 within {timeout:.0f} s")


def run(_arguments: argparse.Namespace) -> int:
    port = int(os.environ.get("PORT", "8000"))
    bind = os.environ.get("HOST", "127.0.0.1")
    supervisor = Supervisor()

    stop_on_signals()
    try:
        with data_stores() as environment:
            environment.setdefault("PRM_PUBLIC_PORT", str(port))
            write_env_file(environment, running=True)
            try:
                return _serve(environment, supervisor, bind, port)
            finally:
                # Nothing may interrupt the shutdown, and the processes stop before
                # the embedded databases they use.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                supervisor.stop()
                write_env_file(environment, running=False)
    except KeyboardInterrupt:
        log("stopped")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as error:
        log(f"failed: {error}")
        return 1


def banner(host: str, port: int, logins: str) -> str:
    return "\n".join(
        [
            "",
            f"  prm is running at http://{host}:{port}/",
            "",
            "  sign in as:",
            *[f"    {line}" for line in logins.strip().splitlines()],
            "",
            f"  API docs  http://{host}:{port}/api/docs/",
            f"  health    http://{host}:{port}/healthz",
            "",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def _serve(environment: dict[str, str], supervisor: Supervisor, bind: str, port: int) -> int:
    environment.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    environment.setdefault("PRM_DEMO_LIVE_TENANTS", DEMO_SLUG)
    log("migrating the public schema, the tenant template and every tenant")
    manage(environment, "migrate_all")
    log(f"preparing the {DEMO_SLUG} tenant")
    logins = manage(environment, "seed_demo", "--tenant", DEMO_SLUG, "--print-logins")
    host = f"{DEMO_SLUG}.{environment.get('PRM_BASE_DOMAIN', 'localhost')}"
    supervisor.start(
        "web",
        [
            str(BIN / "gunicorn"),
            "prm.wsgi:application",
            "--bind",
            f"{bind}:{port}",
            "--workers",
            environment.get("WEB_CONCURRENCY", "3"),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            # The longest request line gunicorn takes short of unlimited; longer ones get
            # its 414, as the API document says (prm.api.schema.REQUEST_LINE_LIMIT).
            "--limit-request-line",
            "8190",
        ],
        environment,
    )
    supervisor.start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "prm",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            environment.get("CELERY_CONCURRENCY", "2"),
            "--queues",
            "celery",
            "--hostname",
            "default@%h",
        ],
        environment,
    )
    # Imports, recomputes and webhook deliveries on workers of their own, so they
    # never wait in front of the rollup folds (settings.CELERY_TASK_ROUTES).
    supervisor.start(
        "worker-bulk",
        [
            str(BIN / "celery"),
            "-A",
            "prm",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            environment.get("CELERY_BULK_CONCURRENCY", "2"),
            "--queues",
            "bulk,webhooks",
            "--hostname",
            "bulk@%h",
        ],
        environment,
    )
    supervisor.start(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "prm",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(DATA / "celerybeat-schedule"),
        ],
        environment,
    )
    wait_healthy(port, host, supervisor)
    print(banner(host, port, logins), flush=True)
    while (failed := supervisor.keep_alive()) is None:
        time.sleep(0.5)
    log(f"{failed[0]} kept exiting (last status {failed[1]}); stopping the rest")
    return 1


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium (never a downloaded browser); install
    it when it is missing and this machine can (root with apt)."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("chromium is not installed; the browser tests will fail until it is")
        return
    log("installing Debian's chromium for the browser tests")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, env=environment)


def test(arguments: argparse.Namespace) -> int:
    ensure_chromium()
    with data_stores() as environment:
        environment["DJANGO_SETTINGS_MODULE"] = "prm.settings.test"
        return subprocess.run(
            [str(BIN / "pytest"), *arguments.pytest_args], cwd=ROOT, env=environment, check=False
        ).returncode


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m prm.devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="web, worker and beat with a demo tenant").set_defaults(
        func=run
    )
    test_parser = commands.add_parser(
        "test", help="the whole test suite; more arguments go to pytest"
    )
    test_parser.set_defaults(func=test)
    arguments, pytest_args = parser.parse_known_args()
    if arguments.command != "test" and pytest_args:
        parser.error(f"unrecognized arguments: {' '.join(pytest_args)}")
    arguments.pytest_args = pytest_args
    return int(arguments.func(arguments))


if __name__ == "__main__":
    sys.exit(main())
