"""Reads of raw activity that pages may make: only small, indexed, LIMITed ones (every
figure comes from the rollups, see reporting.metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from partners.models import Partner
from partners.selectors import partner_list_for_user
from prm.tenancy.clock import tenant_zone

from . import metrics
from .kinds import CALLS, CONTACTS, KINDS, ORDERS
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


@dataclass(frozen=True)
class ActivityFilters:
    """What the activity pages narrow rows by, besides the partner: the tenant's days
    `first_day` to `last_day` (both inclusive, either open) on the kind's time, and
    per kind its own choices (an order's status; a call's direction and counterpart;
    whether a contact converted). Filters of another kind are ignored."""

    first_day: date | None = None
    last_day: date | None = None
    status: str = ""
    direction: str = ""
    counterpart: str = ""
    converted: bool | None = None

    def narrow(self, rows: QuerySet[Any], *, kind: str) -> QuerySet[Any]:
        moment = KINDS[kind].moment
        zone = tenant_zone()
        if self.first_day is not None:
            start = datetime.combine(self.first_day, time.min, tzinfo=zone)
            rows = rows.filter(**{f"{moment}__gte": start})
        if self.last_day is not None:
            end = datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=zone)
            rows = rows.filter(**{f"{moment}__lt": end})
        if kind == ORDERS and self.status:
            rows = rows.filter(status=self.status)
        if kind == CALLS:
            if self.direction:
                rows = rows.filter(direction=self.direction)
            if self.counterpart:
                rows = rows.filter(counterpart=self.counterpart)
        if kind == CONTACTS and self.converted is not None:
            rows = rows.filter(converted_at__isnull=not self.converted)
        return rows


def activity_list(
    *,
    user: Any,
    kind: str,
    partner_ref: str = "",
    period: metrics.Period | None = None,
    partners: QuerySet[Partner] | None = None,
    filters: ActivityFilters | None = None,
) -> QuerySet[Any]:
    """The rows of `kind` (reporting.kinds) of the partners `user` may see, with their
    partner (and product), optionally of one partner (`partner_ref`) or some
    (`partners`, e.g. activity_partner_match's), of a period (the tenant's days, on
    the kind's time: when ordered, called, generated or observed) and narrowed by
    `filters`; in the models' order, newest first. For the activity pages, the API's
    lists and the CSV downloads, which stream them."""
    spec = KINDS[kind]
    rows = spec.model._default_manager.select_related(
        "partner", *(["product"] if spec.has_product else [])
    ).filter(partner__in=partner_list_for_user(user=user))
    if partner_ref:
        rows = rows.filter(partner__ref=partner_ref)
    if partners is not None:
        rows = rows.filter(partner__in=partners)
    if period is not None:
        start, end = period.moments()
        rows = rows.filter(**{f"{spec.moment}__gte": start, f"{spec.moment}__lt": end})
    if filters is not None:
        rows = filters.narrow(rows, kind=kind)
    return rows


PARTNER_CHOICES_LIMIT = 1000


def activity_partner_choices(*, user: Any) -> list[tuple[str, str]]:
    """(ref, name) of the partners `user` may see, by name, for the activity pages'
    partner picker (the first PARTNER_CHOICES_LIMIT; any other is found by typing)."""
    partners = partner_list_for_user(user=user).order_by("name", "ref")
    return list(partners.values_list("ref", "name")[:PARTNER_CHOICES_LIMIT])


@dataclass
class PartnerMatch:
    """What a partner filter's text names: `partners` to filter by (None: the text is
    empty, no partner filter), the first few as (ref, name), and how many in all."""

    partners: QuerySet[Partner] | None
    shown: list[tuple[str, str]]
    count: int


def activity_partner_lookup(*, user: Any, text: str, shown: int) -> PartnerMatch:
    """The partners `text` names for the activity filters (activity_partner_match), the
    first `shown` of them by name and their count (counted only past `shown`)."""
    if not text:
        return PartnerMatch(partners=None, shown=[], count=0)
    partners = activity_partner_match(user=user, text=text)
    first = list(partners.values_list("ref", "name")[:shown])
    return PartnerMatch(
        partners=partners,
        shown=first,
        count=partners.count() if len(first) == shown else len(first),
    )


def activity_partner_match(*, user: Any, text: str) -> QuerySet[Partner]:
    """The partners `user` may see that `text` names, by name: the one whose ref it is
    (in any case), else those of exactly that name, else those whose name or ref
    contains it. None when it names none of them."""
    text = text.strip()
    visible = partner_list_for_user(user=user).order_by("name", "ref")
    if not text:
        return visible.none()
    for narrowed in (
        visible.filter(ref__iexact=text),
        visible.filter(name__iexact=text),
        visible.filter(Q(name__icontains=text) | Q(ref__icontains=text)),
    ):
        if narrowed.exists():
            return narrowed
    return visible.none()
