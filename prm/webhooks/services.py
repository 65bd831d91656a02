"""Webhook subscriptions, event emission and delivery.

`webhook_emit(event=..., data=...)` is what the domain services call: it records a
Delivery for every active subscription to that event, in the caller's transaction,
and queues the deliveries when that transaction commits. A delivery that fails is
retried with exponential back-off; after `PRM_WEBHOOK_DISABLE_AFTER` consecutive
failed deliveries the subscription is disabled and says why.

A receiver's URL is checked (targets.check: https, a public host, every address it
resolves to public) when it is subscribed or changed, and again before every try,
which connects to the address just checked (transport.post). The delivery log keeps
the status code, the time taken and a coarse error, never the answer's body.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from prm.accounts.models import User

from . import targets, transport
from .models import Attempt, Delivery, DeliveryState, Subscription, WebhookEvent
from .signing import HEADER, sign


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
        transaction.on_commit(partial(deliver.delay, delivery.pk))
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

    transaction.on_commit(lambda: deliver.delay(delivery.pk))
    return delivery
