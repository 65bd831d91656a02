"""Reads of raw activity that pages may make: only small, indexed, LIMITed ones (every
figure comes from the rollups, see reporting.metrics)."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import Partner

from .models import Order

LAST_ORDERS = 10


def order_list_latest(*, partner: Partner, limit: int = LAST_ORDERS) -> QuerySet[Order]:
    """The partner's latest orders, newest first: the index on (partner, ordered_at)
    read backwards, stopped after `limit` rows."""
    return (
        Order.objects.filter(partner=partner)
        .select_related("product")
        .order_by("-ordered_at", "-id")[:limit]
    )
