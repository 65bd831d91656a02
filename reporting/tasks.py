"""Rollup work in Celery, always inside a tenant schema.

`fold_pending` is queued after each ingestion commit (debounced: at most one queued
per tenant at a time) and by beat every few seconds as a sweep, so rows accepted
while Redis was down are folded once it is back. Nightly, `reconcile` recomputes the
recent days from raw rows; any difference from the incremental result is logged.
"""

import logging
from datetime import timedelta

from django.core.cache import cache

from prm.breaker import BrokerUnavailable, broker_call
from prm.celery import app
from prm.tenancy.clock import tenant_today
from prm.tenancy.db import current_schema
from prm.webhooks.models import WebhookEvent
from prm.webhooks.services import webhook_emit

from . import rollups
from .metrics import freshness

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 30


def _debounce_key() -> str:
    return f"reporting:fold-queued:{current_schema()}"


def schedule_fold() -> None:
    """Queue a fold unless one is queued already; never fails the caller.

    This runs on the request path (after an ingestion commits), so the fold is
    published once, with short timeouts and no retry, through the broker's circuit
    breaker (prm.breaker): a broker that refuses or hangs costs the request one short
    wait, and none while the breaker is open. Nothing is lost: the rows wait in the
    outbox, and the periodic sweep (beat's reporting-fold-sweep) queues a fold anyway.
    """
    try:
        if cache.add(_debounce_key(), 1, timeout=DEBOUNCE_SECONDS):
            broker_call(
                app, lambda connection: fold_pending.apply_async(connection=connection, retry=False)
            )
    except BrokerUnavailable as error:
        logger.warning("rollup fold not queued (%s); the periodic sweep will fold", error)
    except Exception:  # broker or cache down: the beat sweep folds later
        logger.warning("could not queue a rollup fold; the periodic sweep will", exc_info=True)


@app.task(name="reporting.fold_pending")
def fold_pending() -> int:
    # Cleared first: whatever commits from now on queues a new fold.
    cache.delete(_debounce_key())
    folded = rollups.fold_all()
    if folded:
        _announce_metrics_updated()
    return folded


ANNOUNCE_SECONDS = 30


def _announce_metrics_updated() -> None:
    """metrics.updated, debounced on the trailing edge: the first fold of a quiet tenant
    schedules one announcement in 30 s, which covers every fold until it is sent."""
    key = f"reporting:metrics-announce:{current_schema()}"
    try:
        if cache.add(key, 1, timeout=ANNOUNCE_SECONDS * 2):
            announce_metrics_updated.apply_async(countdown=ANNOUNCE_SECONDS)
    except Exception:  # an announcement lost to a broker outage is not worth failing a fold
        logger.warning("could not schedule metrics.updated", exc_info=True)


@app.task(name="reporting.announce_metrics_updated")
def announce_metrics_updated() -> int:
    cache.delete(f"reporting:metrics-announce:{current_schema()}")
    return webhook_emit(event=WebhookEvent.METRICS_UPDATED, data=freshness())


@app.task(name="reporting.reconcile")
def reconcile(days: int = 3) -> int:
    """Rebuild the last `days` days from raw rows; returns how many rollup rows the
    rebuild changed (0 when the incremental rollups were exact)."""
    # Days are the tenant's days, whatever the server's time zone.
    since = tenant_today() - timedelta(days=days)
    rollups.fold_all()
    before = rollups.snapshot(since=since)
    rollups.recompute(since=since)
    after = rollups.snapshot(since=since)
    differing = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    if differing:
        logger.warning("reconciliation rewrote %s rollup rows since %s", differing, since)
    return differing
