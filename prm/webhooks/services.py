"""Webhook subscriptions and event emission.

`webhook_emit(event=..., data=...)` is what the domain services call: it records a
Delivery for every active subscription to that event, in the caller's transaction,
and queues the deliveries when that transaction commits (tasks.deliver). The tries
themselves, their back-off and beat's sweep of tries never queued are in
prm.webhooks.delivery.

A receiver's URL is checked (targets.check: https, a public host, every address it
resolves to public) when it is subscribed or changed, and again before every try.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from prm.accounts.models import User
from prm.celery import queue_on_commit

from . import targets
from .delivery import SWEEP
from .models import Delivery, DeliveryState, Subscription, WebhookEvent
from .tasks import deliver


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
    for delivery in deliveries:
        queue_on_commit(deliver, delivery.pk, sweep=SWEEP)
    return len(deliveries)


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery again on request, whatever became of it (same event id)."""
    if not delivery.subscription.is_active:
        raise ValidationError({"subscription": ["Enable the subscription before redelivering."]})
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = None
    delivery.attempts = 0
    delivery.save(update_fields=["state", "next_attempt_at", "attempts", "updated_at"])
    queue_on_commit(deliver, delivery.pk, sweep=SWEEP)
    return delivery
