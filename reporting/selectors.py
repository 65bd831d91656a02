"""Reads of raw activity that pages may make: only small, indexed, LIMITed ones (every
figure comes from the rollups, see reporting.metrics)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from partners.models import Partner
from partners.selectors import partner_list_for_user

from . import metrics
from .kinds import KINDS
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
    """The rows of `kind` (reporting.kinds) of the partners `user` may see, with their
    partner (and product), optionally of one partner and of a period (the tenant's
    days, on the kind's time: when ordered, called, generated or observed); in the
    models' order, newest first. For the activity pages, the API's lists and the CSV
    downloads, which stream them."""
    spec = KINDS[kind]
    rows = spec.model._default_manager.select_related(
        "partner", *(["product"] if spec.has_product else [])
    ).filter(partner__in=partner_list_for_user(user=user))
    if partner_ref:
        rows = rows.filter(partner__ref=partner_ref)
    if period is not None:
        start, end = period.moments()
        rows = rows.filter(**{f"{spec.moment}__gte": start, f"{spec.moment}__lt": end})
    return rows
