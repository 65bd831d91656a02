"""The tries of a webhook delivery: one try (`delivery_attempt`, what the deliver
task runs), and beat's sweep of the tries never queued or lost (`delivery_sweep`).

A delivery that fails is retried with exponential back-off; after
`PRM_WEBHOOK_DISABLE_AFTER` consecutive failed deliveries the subscription is
disabled and says why. A try that was never queued (the broker was down when the
caller committed) or whose message was lost is queued again by the sweep once it is
overdue by more than `PRM_WEBHOOK_OVERDUE_SECONDS`, and `delivery_attempt` skips a
delivery that is not due, so a duplicate message never tries early.

A receiver's URL is checked again before every try (targets.check), which connects
to the address just checked (transport.post). The delivery log keeps the status
code, the time taken and a coarse error, never the answer's body.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prm.celery import queue_on_commit

from . import targets, transport
from .models import Attempt, Delivery, DeliveryState, Subscription
from .signing import HEADER, sign

# The beat entry (prm/settings/base.py) that queues a delivery whose try was not.
SWEEP = "webhooks-delivery-sweep"
# A delivery due this close to now counts as due: a retry's countdown and its
# next_attempt_at are read from the clocks of different workers.
DUE_LEEWAY = timedelta(seconds=1)
# Deliveries one sweep queues at most; the next sweep takes the rest.
SWEEP_BATCH = 1000


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def delivery_attempt(*, delivery: Delivery) -> float | None:
    """Try to deliver once; returns the seconds to wait before the next try, or None
    when there is nothing more to do (delivered, failed for good, or not due)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
        )
        if delivery.state in (DeliveryState.SUCCEEDED, DeliveryState.FAILED):
            return None
        if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now() + DUE_LEEWAY:
            # A second message for this delivery (the sweep's, or a redelivered one):
            # the try that is due later is queued for then, or the sweep queues it.
            return None
        subscription = delivery.subscription
        if not subscription.is_active:
            delivery.state = DeliveryState.FAILED
            delivery.save(update_fields=["state", "updated_at"])
            return None
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "prm-webhooks/1",
        "X-PRM-Event": delivery.event,
        "X-PRM-Delivery": str(delivery.event_id),
        HEADER: sign(subscription.secret, body),
    }
    started = time.monotonic()
    try:
        # Checked again now, not trusted from the subscription: DNS may have changed.
        target = targets.check(subscription.url)
    except targets.TargetRefused as refused:
        outcome = transport.Outcome(None, refused.category)
    else:
        outcome = transport.post(
            target, body=body, headers=headers, timeout=settings.PRM_WEBHOOK_TIMEOUT
        )
    status_code, error = outcome.status_code, outcome.error
    duration = int((time.monotonic() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        now = timezone.now()
        Attempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            error=error,
            duration_ms=duration,
        )
        delivery.attempts += 1
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        wait: float | None = None
        if succeeded:
            delivery.state = DeliveryState.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            subscription.consecutive_failures = 0
        elif delivery.attempts >= settings.PRM_WEBHOOK_MAX_ATTEMPTS:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
            subscription.consecutive_failures += 1
            if subscription.consecutive_failures >= settings.PRM_WEBHOOK_DISABLE_AFTER:
                subscription.is_active = False
                subscription.disabled_at = now
                subscription.disabled_reason = (
                    f"Disabled after {subscription.consecutive_failures} deliveries in a row "
                    f"failed; last answer: {status_code or error}."
                )[:300]
        else:
            wait = min(
                settings.PRM_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1),
                settings.PRM_WEBHOOK_RETRY_MAX_SECONDS,
            )
            delivery.state = DeliveryState.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save()
        subscription.save(
            update_fields=[
                "consecutive_failures",
                "is_active",
                "disabled_at",
                "disabled_reason",
                "updated_at",
            ]
        )
    return wait


def delivery_sweep(*, task: Task, now: datetime | None = None) -> int:
    """Queue again the deliveries whose try is overdue by more than
    PRM_WEBHOOK_OVERDUE_SECONDS: pending ones never tried that long after they were
    recorded, retrying ones that long past their next_attempt_at. Returns how many.

    Each is marked due now as it is queued, so that it is overdue again (and queued
    again) only if this message is lost too: one more message per margin at most,
    however long the queue it waits in. The receiver may still get a delivery twice
    (two messages tried at once), which `event_id` lets it drop; never early.

    `task` is the one-try task (tasks.deliver), given by the sweep's task, which
    imports this module."""
    now = now or timezone.now()
    overdue_before = now - timedelta(seconds=settings.PRM_WEBHOOK_OVERDUE_SECONDS)
    with transaction.atomic():
        overdue = list(
            Delivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.RETRYING])
            .filter(
                Q(next_attempt_at__isnull=True, created_at__lt=overdue_before)
                | Q(next_attempt_at__lt=overdue_before)
            )
            .order_by("id")
            # A sweep running at the same time takes other rows, not these again.
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        Delivery.objects.filter(pk__in=overdue).update(next_attempt_at=now, updated_at=now)
        for delivery_id in overdue:
            queue_on_commit(task, delivery_id, sweep=SWEEP)
    return len(overdue)
