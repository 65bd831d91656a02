"""Celery beat's heartbeat: the proof, read by /healthz, that `celery -A prm beat` is
running and ticking.

`Scheduler` is beat's own scheduler (a PersistentScheduler, set as the app's
beat_scheduler in prm.celery, so the command stays `celery -A prm beat`) that writes
the time to Redis when it starts and after every tick, and ticks at least every
HEARTBEAT_SECONDS. It comes from beat itself, not from a worker running a task beat
queued: a worker would keep answering while beat is gone, and the sweeps with it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings

from prm.breaker import redis_client

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "prm:beat:heartbeat"
# Beat wakes up at least this often, so a live beat's heartbeat is never older than
# this (plus a tick's work) whatever its schedule.
HEARTBEAT_SECONDS = 5
# Kept long after beat stopped, so /healthz can say since when.
HEARTBEAT_KEPT_SECONDS = 7 * 24 * 3600


def heartbeat_record(*, at: float | None = None) -> None:
    """Write beat's heartbeat (now, or the Unix time `at`)."""
    redis_client(settings.REDIS_URL).set(
        HEARTBEAT_KEY, repr(time.time() if at is None else at), ex=HEARTBEAT_KEPT_SECONDS
    )


def heartbeat_last() -> float | None:
    """The Unix time of beat's last heartbeat, None if it never wrote one. Raises the
    client's error when Redis does not answer."""
    value = redis_client(settings.REDIS_URL).get(HEARTBEAT_KEY)
    return None if value is None else float(value)


class Scheduler(PersistentScheduler):
    # Class attributes: the base class's __init__ sets the schedule up, which writes
    # the first heartbeat, before this __init__ could set them.
    _heartbeat_failing = False
    _heartbeat_at = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_interval = min(self.max_interval or HEARTBEAT_SECONDS, HEARTBEAT_SECONDS)

    def setup_schedule(self) -> None:
        super().setup_schedule()
        # A beat that just started is alive before its first tick.
        self._heartbeat()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        self._heartbeat()
        return interval

    def _heartbeat(self) -> None:
        # A tick with many entries due comes back at once; a second is fine enough.
        if time.monotonic() - self._heartbeat_at < 1.0:
            return
        self._heartbeat_at = time.monotonic()
        try:
            heartbeat_record()
        except Exception:  # Redis down: beat goes on; /healthz says Redis (and beat)
            if not self._heartbeat_failing:
                logger.warning("beat could not write its heartbeat to Redis", exc_info=True)
            self._heartbeat_failing = True
        else:
            if self._heartbeat_failing:
                logger.info("beat writes its heartbeat to Redis again")
            self._heartbeat_failing = False
