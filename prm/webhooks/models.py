"""Webhook subscriptions of a tenant, and the delivery of each event to each of them."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class WebhookEvent(models.TextChoices):
    PARTNER_CREATED = "partner.created", "Partner created"
    PARTNER_UPDATED = "partner.updated", "Partner updated"
    PARTNER_STATUS_CHANGED = "partner.status_changed", "Partner status changed"
    SLA_AT_RISK = "sla.at_risk", "SLA at risk"
    SLA_BREACHED = "sla.breached", "SLA breached"
    METRICS_UPDATED = "metrics.updated", "Metrics updated"


class Subscription(models.Model):
    url = models.URLField(max_length=1000)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    # Shown once to its creator, like an API key; kept to sign each delivery.
    secret = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event for one subscription; delivered at least once, identified by
    `event_id` so receivers can drop duplicates."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"]),
            # The deliveries still to be made, for the sweep (delivery.delivery_sweep):
            # a few rows, however long the delivery log grows.
            models.Index(
                fields=["next_attempt_at", "created_at"],
                condition=models.Q(state__in=["pending", "retrying"]),
                name="webhooks_delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class Attempt(models.Model):
    """The delivery log: every try, with the receiver's status code and the time it
    took, or a coarse reason (transport.py, targets.py); never the answer's body."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.status_code or self.error}"
