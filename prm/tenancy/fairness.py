"""Fair shares of the workers between tenants, and a cap on redeliveries.

Heavy work (imports, nightly recomputes, webhook deliveries) runs on queues of its
own (settings.CELERY_TASK_ROUTES), so it never waits in front of a tenant's rollup
folds. Within such a queue each tenant may hold only a few workers at once
(`PRM_TENANT_QUEUE_LIMITS`): a task that finds its tenant's share taken goes back to
the end of the queue for a moment, so another tenant's job runs meanwhile.

A share is a lease in Redis, one sorted set per queue and tenant whose members are
task ids scored by when their lease ends. A task that is redelivered after its worker
died has the same id and gets its lease back; a lease nobody releases (a worker
killed for good) ends by itself.

Redeliveries: tasks are acknowledged late and redelivered when their worker dies
(settings.CELERY_TASK_ACKS_LATE), so a task that always kills its worker would come
back forever. Each delivery of a task id is counted; past `PRM_TASK_MAX_DELIVERIES`
the task gives up instead of running (`PrmTask.gave_up`).

Written by hand: Celery has rate limits per worker, not concurrency limits per
tenant across workers, and none of the well-kept semaphore libraries is re-entrant
by task id.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# KEYS[1] the tenant's set of leases; ARGV: member, now, lease end, limit, key lifetime.
# Ended leases are dropped first; a member that holds one already renews it.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return 1
end
return 0
"""


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _leases_key(queue: str, schema: str) -> str:
    return f"prm:tenant-share:{queue}:{schema}"


def queue_of(task_name: str) -> str | None:
    route = settings.CELERY_TASK_ROUTES.get(task_name)
    return route.get("queue") if route else None


def share_limit(queue: str | None) -> tuple[int, int] | None:
    """(workers a tenant may hold at once, lease seconds) for a queue, or None."""
    limit = settings.PRM_TENANT_QUEUE_LIMITS.get(queue) if queue else None
    if not limit:
        return None
    return int(limit["concurrency"]), int(limit["lease_seconds"])


def share_acquire(*, queue: str, schema: str, task_id: str) -> bool:
    """Take one of the tenant's workers on this queue; False when all are taken.

    Fails open: without Redis there is no broker either, and a task that runs
    unshared is better than one that cannot run.
    """
    limit = share_limit(queue)
    if limit is None:
        return True
    concurrency, lease_seconds = limit
    now = time.time()
    try:
        return bool(
            _redis().eval(
                _ACQUIRE,
                1,
                _leases_key(queue, schema),
                task_id,
                now,
                now + lease_seconds,
                concurrency,
                lease_seconds * 2,
            )
        )
    except Exception:
        logger.warning("tenant share of %s unknown (Redis); running unshared", queue, exc_info=True)
        return True


def share_release(*, queue: str, schema: str, task_id: str) -> None:
    if share_limit(queue) is None:
        return
    try:
        _redis().zrem(_leases_key(queue, schema), task_id)
    except Exception:  # the lease ends by itself
        logger.warning("could not release a tenant share of %s", queue, exc_info=True)


def shares_held(*, queue: str, schema: str) -> int:
    """How many of the tenant's leases on the queue have not ended."""
    key = _leases_key(queue, schema)
    connection = _redis()
    connection.zremrangebyscore(key, "-inf", time.time())
    return int(connection.zcard(key))


def _deliveries_key(task_id: str) -> str:
    return f"prm:task-deliveries:{task_id}"


DELIVERIES_KEPT_SECONDS = 7 * 24 * 3600


def delivery_count(*, task_id: str) -> int:
    """Count this delivery of the task; the count survives a worker that dies."""
    try:
        connection = _redis()
        key = _deliveries_key(task_id)
        count = int(connection.incr(key))
        connection.expire(key, DELIVERIES_KEPT_SECONDS)
        return count
    except Exception:
        logger.warning("could not count a task delivery (Redis)", exc_info=True)
        return 1


def delivery_forget(*, task_id: str) -> None:
    """The task ran to its end (or raised): a later message with its id starts afresh."""
    try:
        _redis().delete(_deliveries_key(task_id))
    except Exception:  # the count expires by itself
        logger.warning("could not clear a task's delivery count", exc_info=True)


def max_deliveries() -> int:
    return int(settings.PRM_TASK_MAX_DELIVERIES)
