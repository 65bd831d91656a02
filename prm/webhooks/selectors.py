"""Reads of webhooks for the settings pages and the API: subscriptions, and the
delivery log with each delivery's tries."""

from django.db.models import QuerySet

from .models import Delivery, Subscription


def subscription_list() -> QuerySet[Subscription]:
    return Subscription.objects.all()


def delivery_list() -> QuerySet[Delivery]:
    """Deliveries with their subscription, to act on one (redeliver it)."""
    return Delivery.objects.select_related("subscription")


def delivery_log(*, subscription: Subscription | None = None) -> QuerySet[Delivery]:
    """The delivery log, newest first, each delivery with its tries; of one
    subscription when given."""
    deliveries = Delivery.objects.prefetch_related("attempt_log")
    return deliveries if subscription is None else deliveries.filter(subscription=subscription)
