"""Webhook subscriptions, event emission and delivery.

`webhook_emit(event=..., data=...)` is what the domain services call: it records a
Delivery for every active subscription to that event, in the caller's transaction,
and queues the deliveries when that transaction commits. A delivery that fails is
retried with exponential back-off; after `PRM_WEBHOOK_DISABLE_AFTER` consecutive
failed deliveries the subscription is disabled and says why.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from prm.accounts.models import User

from .models import Attempt, Delivery, DeliveryState, Subscription, WebhookEvent
from .signing import HEADER, sign


def _validate(url: str, events: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = ["Give an http:// or https:// address the receiver listens on."]
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
    errors = _validate(
        url or subscription.url, events if events is not None else subscription.events
    )
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
    request = urllib.request.Request(  # noqa: S310 (http or https only, checked on subscribing)
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "prm-webhooks/1",
            "X-PRM-Event": delivery.event,
            "X-PRM-Delivery": str(delivery.event_id),
            HEADER: sign(subscription.secret, body),
        },
    )
    started = time.monotonic()
    status_code, error, excerpt = None, "", ""
    try:
        # The scheme is checked when subscribing (http or https only).
        timeout = settings.PRM_WEBHOOK_TIMEOUT
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status_code = response.status
            excerpt = response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as failure:
        status_code = failure.code
        excerpt = failure.read(500).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as failure:
        error = str(getattr(failure, "reason", failure))[:500]
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
            response_excerpt=excerpt[:500],
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
