"""Reads of raw activity that pages may make: only small, indexed, LIMITed ones (every
figure comes from the rollups, see reporting.metrics)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from partners.models import Partner
from partners.selectors import partner_list_for_user

from . import metrics
from .exports import ACTIVITY_EXPORTS
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


def activity_list(
    *, user: Any, kind: str, partner_ref: str = "", period: metrics.Period | None = None
) -> QuerySet[Any]:
    """Orders, calls or contacts (`kind`) of the partners `user` may see, optionally of
    one partner and of a period (the tenant's days, on the order, call or contact
    time); for CSV downloads, which stream them."""
    model, moment, _columns = ACTIVITY_EXPORTS[kind]
    rows = model.objects.filter(partner__in=partner_list_for_user(user=user))
    if partner_ref:
        rows = rows.filter(partner__ref=partner_ref)
    if period is not None:
        start, end = period.moments()
        rows = rows.filter(**{f"{moment}__gte": start, f"{moment}__lt": end})
    return rows
