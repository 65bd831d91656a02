"""Waiting for work done by another process (the Celery worker)."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(probe: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.05) -> T:
    """The first truthy value `probe` returns; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"gave up after {timeout}s waiting for {probe!r}; last value {value!r}"
            )
        time.sleep(interval)
