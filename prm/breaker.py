"""A circuit breaker per Redis server and process: a hung or refused Redis costs a
request at most one short timeout, not one for every cache read, rate-limit counter,
task publish and health ping it makes.

Every use of a server goes through its breaker (pybreaker's, kept in this process's
memory: asking Redis whether Redis is up would defeat the point). A timeout or a
connection error opens it for `PRM_REDIS_BREAKER_SECONDS`; meanwhile every use of
that server fails at once without touching a socket, with the error its caller
already handles as an outage (redis.ConnectionError, or `BrokerUnavailable` for a
publish), so the cache degrades to misses, rate limits let requests pass, a fold is
left to the beat sweep and /healthz reports Redis down. Then it half-opens: the next
use tries the server again and closes it if the server answers.

Two doors lead to Redis:

- redis-py clients (django-redis's cache, and with it DRF's rate limits and
  prm.tenancy.fairness; /healthz's ping; beat's heartbeat) get their connections from
  `GuardedConnectionPool` (CACHES' CONNECTION_POOL_CLASS, `redis_client()`), whose
  connections go through the breaker on every connect, send and read.
- Celery publishes made outside a worker's task (requests, commands) go through
  `broker_call()` (prm.celery.PrmTask.apply_async): one try on a connection with
  `PRM_REDIS_TIMEOUT` timeouts instead of the pool's 10 s and Celery's retries.
  Workers and beat keep kombu's own connections: they must ride out a Redis restart,
  and no request waits on them.

pybreaker holds a lock for the whole guarded call, so uses of one server are taken
one at a time per process. gunicorn's sync workers, Celery's prefork children and beat
run one thread each, where this costs nothing; nothing here sends a blocking command
(BLPOP and the like) through these connections, which would hold the lock meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pybreaker
import redis
from django.conf import settings
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()


class BrokerUnavailable(OperationalError):
    """A publish not tried: the broker's breaker is open. Callers that catch kombu's
    OperationalError (a broker that refused) catch this too."""


def timeout_seconds() -> float:
    """How long one Redis command may take before it counts as an outage."""
    return float(getattr(settings, "PRM_REDIS_TIMEOUT", 0.5))


def _open_seconds() -> float:
    return float(getattr(settings, "PRM_REDIS_BREAKER_SECONDS", 5.0))


def is_outage(error: BaseException) -> bool:
    """Errors that say the server is unreachable or not answering; any other (a wrong
    command, a wrong type) is an answer, and closes the breaker."""
    return isinstance(
        error, redis.ConnectionError | redis.TimeoutError | OperationalError | OSError
    )


def _server_of_url(url: str) -> str:
    parts = urlsplit(url.split(";")[0])
    if parts.scheme in ("unix", "redis+socket"):
        return parts.path
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def breaker_for(server: str) -> pybreaker.CircuitBreaker:
    """The breaker of `server` ("host:port", or a socket's path) in this process."""
    breaker = _breakers.get(server)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(
                server,
                pybreaker.CircuitBreaker(
                    fail_max=1,
                    reset_timeout=_open_seconds(),
                    exclude=[lambda error: not is_outage(error)],
                    name=server,
                    # The caller gets the real error (a timeout) when the breaker trips.
                    throw_new_error_on_trip=False,
                ),
            )
    # Read on every use, so that a changed setting (a test's) applies at once.
    breaker.reset_timeout = _open_seconds()
    return breaker


def reset() -> None:
    """Forget every breaker (tests)."""
    with _breakers_lock:
        _breakers.clear()


def _skipped_message(server: str) -> str:
    return (
        f"Redis at {server} did not answer a moment ago; it is left alone for "
        f"{_open_seconds():g} s (PRM_REDIS_BREAKER_SECONDS) before it is tried again"
    )


# --- redis-py connections -------------------------------------------------------------


class _Guarded:
    """Mixed into a redis-py connection class: connecting, sending and reading go
    through the server's breaker."""

    host: str
    port: int
    path: str

    def _server(self) -> str:
        return getattr(self, "path", None) or f"{self.host}:{self.port}"

    def _guarded(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        server = self._server()
        try:
            return breaker_for(server).call(operation, *args, **kwargs)
        except pybreaker.CircuitBreakerError:
            # Not tried. Whatever this connection was in the middle of is dropped with
            # it, so that no reply is left unread on a socket that goes back to the pool.
            with suppress(Exception):
                self.disconnect()  # type: ignore[attr-defined]
            raise redis.ConnectionError(_skipped_message(server)) from None

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        self._guarded(super().connect_check_health, *args, **kwargs)  # type: ignore[misc]

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        self._guarded(super().send_packed_command, *args, **kwargs)  # type: ignore[misc]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(super().read_response, *args, **kwargs)  # type: ignore[misc]


class GuardedConnection(_Guarded, redis.Connection):
    pass


class GuardedSSLConnection(_Guarded, redis.SSLConnection):
    pass


class GuardedUnixDomainSocketConnection(_Guarded, redis.UnixDomainSocketConnection):
    pass


_GUARDED = {
    redis.Connection: GuardedConnection,
    redis.SSLConnection: GuardedSSLConnection,
    redis.UnixDomainSocketConnection: GuardedUnixDomainSocketConnection,
}


class GuardedConnectionPool(redis.ConnectionPool):
    """A redis-py pool whose connections go through their server's breaker (for
    django-redis: OPTIONS["CONNECTION_POOL_CLASS"])."""

    def __init__(self, connection_class: type = redis.Connection, **kwargs: Any) -> None:
        super().__init__(
            connection_class=_GUARDED.get(connection_class, connection_class), **kwargs
        )


_clients: dict[str, redis.Redis] = {}


def redis_client(url: str) -> redis.Redis:
    """A client of `url` with short timeouts, through the breaker; one pool per URL
    and process."""
    client = _clients.get(url)
    if client is None:
        timeout = timeout_seconds()
        pool = GuardedConnectionPool.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        client = _clients.setdefault(url, redis.Redis(connection_pool=pool))
    return client


# --- Celery publishes -------------------------------------------------------------------


def broker_call(app: Any, use: Callable[[Any], T]) -> T:
    """`use(connection)` on a new broker connection of Celery app `app` with short
    timeouts and no retry, through the broker's breaker: BrokerUnavailable at once
    while it is open, the broker's own error once when it does not answer."""
    url = str(app.conf.broker_write_url or app.conf.broker_url)
    server = _server_of_url(url)
    timeout = timeout_seconds()

    def attempt() -> T:
        with app.connection_for_write(
            connect_timeout=timeout,
            transport_options={
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "max_retries": 0,
            },
        ) as connection:
            return use(connection)

    try:
        return breaker_for(server).call(attempt)
    except pybreaker.CircuitBreakerError:
        raise BrokerUnavailable(_skipped_message(server)) from None
