"""A broker that nobody answers at, for the tests of what a write does when the task
it queues cannot be published (tests/*/test_*sweep.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from prm import breaker
from prm.celery import app


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def broker_unreachable() -> Iterator[str]:
    """Meanwhile this process's Celery app publishes to a loopback port nobody listens
    on (a refused connection, as from a stopped Redis), with every breaker closed at
    the start and forgotten at the end, so that no other test inherits an open one.

    The app's pools, made for the usual URL, are forgotten rather than closed (kombu
    keeps them for the whole process, and later tests need them), and forgotten again
    afterwards so that the next use makes them for the usual URL."""

    def forget() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    breaker.reset()
    forget()
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    try:
        yield app.conf.broker_url
    finally:
        forget()
        app.conf.broker_url = previous
        breaker.reset()
