"""Webhook subscriptions, event emission and delivery.

`webhook_emit(event=..., data=...)` is what the domain services call: it records a
Delivery for every active subscription to that event, in the caller's transaction,
and queues the deliveries when that transaction commits. A delivery that fails is
retried with exponential back-off; after `PRM_WEBHOOK_DISABLE_AFTER` consecutive
failed deliveries the subscription is disabled and says why.

A try that was never queued (the broker was down when the caller committed) or whose
message was lost is not lost with it: beat's webhooks-delivery-sweep queues every
delivery whose try is overdue by more than `PRM_WEBHOOK_OVERDUE_SECONDS` again
(`delivery_sweep`), and `delivery_attempt` skips a delivery that is not due, so a
duplicate message never tries early.

A receiver's URL is checked (targets.check: https, a public host, every address it
resolves to public) when it is subscribed or changed, and again before every try,
which connects to the address just checked (transport.post). The delivery log keeps
the status code, the time taken and a coarse error, never the answer's body.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from prm.accounts.models import User
from prm.celery import queue_on_commit

from . import targets, transport
from .models import Attempt, Delivery, DeliveryState, Subscription, WebhookEvent
from .signing import HEADER, sign

# The beat entry (prm/settings/base.py) that queues a delivery whose try was not.
SWEEP = "webhooks-delivery-sweep"
# A delivery due this close to now counts as due: a retry's countdown and its
# next_attempt_at are read from the clocks of different workers.
DUE_LEEWAY = timedelta(seconds=1)
# Deliveries one sweep queues at most; the next sweep takes the rest.
SWEEP_BATCH = 1000


def _validate(url: str | None, events: list[str]) -> dict[str, list[str]]:
    """Errors by field; `url` None means "unchanged, not checked again"."""
    errors: dict[str, list[str]] = {}
    if url is not None:
        try:
            targets.check(url)
        except targets.TargetRefused as refused:
            errors["url"] = [refused.message]
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        errors["events"] = [
            f"Choose one or more of {', '.join(WebhookEvent.values)}"
            + (f"; not {', '.join(unknown)}." if unknown else ".")
        ]
    return errors


def subscription_create(
    *, url: str, events: list[str], description: str = "", actor: User | None = None
) -> tuple[Subscription, str]:
    """A new subscription and its signing secret (shown once)."""
    errors = _validate(url, events)
    if errors:
        raise ValidationError(errors)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    subscription = Subscription.objects.create(
        url=url,
        events=sorted(set(events)),
        description=description.strip(),
        secret=secret,
        created_by=actor,
    )
    return subscription, secret


def subscription_update(
    *,
    subscription: Subscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Subscription:
    # The URL is checked when it changes and when a subscription is switched back on
    # (its name may point elsewhere by now); switching one off never fails.
    enabling = is_active is True and not subscription.is_active
    checked_url = url if url is not None else (subscription.url if enabling else None)
    errors = _validate(checked_url, events if events is not None else subscription.events)
    if errors:
        raise ValidationError(errors)
    if url is not None:
        subscription.url = url
    if events is not None:
        subscription.events = sorted(set(events))
    if description is not None:
        subscription.description = description.strip()
    if is_active is not None:
        subscription.is_active = is_active
        if is_active:  # re-enabled by a person: start counting failures afresh
            subscription.consecutive_failures = 0
            subscription.disabled_at = None
            subscription.disabled_reason = ""
    subscription.save()
    return subscription


def webhook_emit(*, event: str, data: dict[str, Any]) -> int:
    """Record the event for every active subscriber; queued when the caller commits."""
    subscriptions = list(Subscription.objects.filter(is_active=True, events__contains=[event]))
    if not subscriptions:
        return 0
    tenant = getattr(connection, "tenant", None)
    deliveries = []
    for subscription in subscriptions:
        delivery = Delivery(subscription=subscription, event=event, payload={})
        delivery.payload = json.loads(
            json.dumps(
                {
                    "id": str(delivery.event_id),
                    "event": event,
                    "created_at": timezone.now(),
                    "tenant": getattr(tenant, "slug", None),
                    "data": data,
                },
                cls=DjangoJSONEncoder,
            )
        )
        deliveries.append(delivery)
    Delivery.objects.bulk_create(deliveries)
    from .tasks import deliver

    for delivery in deliveries:
        queue_on_commit(deliver, delivery.pk, sweep=SWEEP)
    return len(deliveries)


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


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery again on request, whatever became of it (same event id)."""
    if not delivery.subscription.is_active:
        raise ValidationError({"subscription": ["Enable the subscription before redelivering."]})
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = None
    delivery.attempts = 0
    delivery.save(update_fields=["state", "next_attempt_at", "attempts", "updated_at"])
    from .tasks import deliver

    queue_on_commit(deliver, delivery.pk, sweep=SWEEP)
    return delivery


def delivery_sweep(*, now: datetime | None = None) -> int:
    """Queue again the deliveries whose try is overdue by more than
    PRM_WEBHOOK_OVERDUE_SECONDS: pending ones never tried that long after they were
    recorded, retrying ones that long past their next_attempt_at. Returns how many.

    Each is marked due now as it is queued, so that it is overdue again (and queued
    again) only if this message is lost too: one more message per margin at most,
    however long the queue it waits in. The receiver may still get a delivery twice
    (two messages tried at once), which `event_id` lets it drop; never early."""
    from .tasks import deliver

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
            queue_on_commit(deliver, delivery_id, sweep=SWEEP)
    return len(overdue)
