"""Demo activity: a year of orders, calls, contacts and inventory for the demo
registry, and a trickle of live activity while the demo runs. Deterministic (fixed
seeds), and written through the same ingestion service as the API, so the demo
exercises the real pipeline.

One model of each partner's business feeds both: its daily means (orders, calls and
contacts a day, by its tier, a size drawn once, its growth over its first year, fewer
at weekends; an inventory count each Monday). The history draws a year of days from
it, each event at a business hour of the tenant's day and none after the seed's now;
the live tick draws the same means per minute (a day's worth spread over its 24 hours)
for the time since the last tick, every row dated at the tick's now, and only for the
partners the demo created (demo.registry.demo_partners()). So "this month" grows while
the demo runs as it grew in the history, a few rows an hour, not thousands a tick."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from prm.tenancy.clock import tenant_zone
from reporting import rollups
from reporting.ingest import ingest

from .registry import demo_partners

PRICES = {
    "edge-x1": Decimal("249.00"),
    "edge-x5": Decimal("899.00"),
    "fw-200": Decimal("1290.00"),
    "fw-900": Decimal("5400.00"),
    "sw-24": Decimal("420.00"),
    "sw-48": Decimal("1150.00"),
    "ap-6": Decimal("189.00"),
    "cloud-1y": Decimal("120.00"),
    "care-1y": Decimal("310.00"),
    "academy": Decimal("1500.00"),
}
TIER_SIZE = {"platinum": 3.0, "gold": 1.8, "silver": 1.0, "registered": 0.4, None: 0.6}
TIER_DISCOUNT = {"platinum": Decimal("0.70"), "gold": Decimal("0.78"), "silver": Decimal("0.85")}
CHANNELS = ["online_store", "display_shelf", "direct", "other"]
SOURCES = ["web", "event", "referral", "campaign", "trade-show"]
KINDS = ("orders", "calls", "contacts", "inventory")
# The hours of the tenant's day when each kind happens in the history: [from, to).
HOURS = {"orders": (8.0, 19.0), "calls": (8.0, 18.0), "contacts": (8.0, 20.0)}
INVENTORY_HOUR = 6  # the Monday count, 06:00
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Seller:
    """A selling partner as the generator sees it: its size, discount and products,
    and when it sold (from becoming active to a suspension or termination)."""

    partner: Partner
    size: float
    discount: Decimal
    skus: list[str]
    start: datetime
    end: datetime | None

    @property
    def ref(self) -> str:
        return self.partner.ref

    def daily_means(self, day: date) -> dict[str, float]:
        """Orders, calls and contacts expected on `day` (a day of the tenant's)."""
        weekday = day.weekday() < 5
        selling_days = (day - self.start.astimezone(tenant_zone()).date()).days
        growth = 0.7 + 0.6 * min(1.0, max(0, selling_days) / 365)
        return {
            "orders": self.size * growth * (1.0 if weekday else 0.25),
            "calls": (1.5 * self.size + 1) * (1.0 if weekday else 0.1),
            "contacts": 0.6 * self.size * (1.0 if weekday else 0.2),
        }


def _seller(
    partner: Partner, rng: random.Random, *, since: datetime | None = None
) -> Seller | None:
    """`partner` as a seller, or None if it never sold or sells no priced product;
    `rng`'s first draw is its size. Its selling starts no earlier than `since`."""
    changes = {change.to_status: change.changed_at for change in partner.status_changes.all()}
    start = changes.get(PartnerStatus.ACTIVE) or changes.get(PartnerStatus.AFFILIATE)
    skus = [product.sku for product in partner.products.all() if product.sku in PRICES]
    tier = partner.tier.slug if partner.tier else None
    size = TIER_SIZE.get(tier, 0.6) * rng.uniform(0.6, 1.4)
    if start is None or not skus:
        return None
    return Seller(
        partner=partner,
        size=size,
        discount=TIER_DISCOUNT.get(tier or "", Decimal("0.90")),
        skus=skus,
        start=max(start, since) if since else start,
        end=changes.get(PartnerStatus.TERMINATED) or changes.get(PartnerStatus.SUSPENDED),
    )


def _order(
    seller: Seller, rng: random.Random, external_id: str, ordered_at: datetime, now: datetime
) -> dict[str, Any]:
    sku = rng.choice(seller.skus)
    quantity = rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
    amount = (PRICES[sku] * quantity * seller.discount).quantize(Decimal("0.01"))
    closed_at = ordered_at + timedelta(days=rng.uniform(0.5, 21))
    status = "open" if closed_at > now else rng.choices(["won", "lost"], [3, 1])[0]
    return {
        "external_id": external_id,
        "partner": seller.ref,
        "product": sku,
        "status": status,
        "amount": str(amount),
        "cost": str((amount * Decimal("0.68")).quantize(Decimal("0.01"))),
        "quantity": quantity,
        "channel": rng.choices(CHANNELS, [4, 2, 3, 1])[0],
        "new_account": rng.random() < 0.2,
        "ordered_at": ordered_at.isoformat(),
        "closed_at": closed_at.isoformat() if status != "open" else "",
    }


def _call(seller: Seller, rng: random.Random, external_id: str, at: datetime) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "partner": seller.ref,
        "direction": rng.choice(["made", "received"]),
        "counterpart": rng.choices(["customer", "channel_team"], [4, 1])[0],
        "duration_seconds": int(rng.expovariate(1 / 420)),
        "occurred_at": at.isoformat(),
    }


def _contact(
    seller: Seller, rng: random.Random, external_id: str, at: datetime, now: datetime
) -> dict[str, Any]:
    converted = at + timedelta(days=rng.uniform(1, 30))
    return {
        "external_id": external_id,
        "partner": seller.ref,
        "source": rng.choice(SOURCES),
        "created_at": at.isoformat(),
        "converted_at": converted.isoformat() if converted < now and rng.random() < 0.3 else "",
    }


def _inventory(
    seller: Seller, rng: random.Random, external_id: str, sku: str, at: datetime
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "partner": seller.ref,
        "product": sku,
        "items_listed": int(rng.uniform(2, 40) * seller.size),
        "observed_at": at.isoformat(),
    }


def _history_rows(
    seller: Seller, rng: random.Random, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The seller's history up to `now`: each day's events at its business hours in the
    tenant's zone, none before it began selling, after it stopped, or after `now`."""
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    zone = tenant_zone()
    end = min(seller.end, now) if seller.end else now
    ref = seller.ref
    counter = 0

    def at(day: date, kind: str) -> datetime:
        low, high = HOURS[kind]
        return datetime.combine(day, time.min, tzinfo=zone) + timedelta(
            hours=rng.uniform(low, high)
        )

    def kept(moment: datetime) -> bool:
        return seller.start <= moment <= end

    day = seller.start.astimezone(zone).date()
    while datetime.combine(day, time.min, tzinfo=zone) <= end:
        means = seller.daily_means(day)
        # Every draw is made whether or not its event is kept, so a day's events do
        # not depend on the hour the seed runs.
        for _ in range(_poisson(rng, means["orders"])):
            counter += 1
            ordered_at = at(day, "orders")
            order = _order(seller, rng, f"demo-{ref}-o{counter}", ordered_at, now)
            if kept(ordered_at):
                rows["orders"].append(order)
        for _ in range(_poisson(rng, means["calls"])):
            counter += 1
            occurred_at = at(day, "calls")
            call = _call(seller, rng, f"demo-{ref}-c{counter}", occurred_at)
            if kept(occurred_at):
                rows["calls"].append(call)
        for _ in range(_poisson(rng, means["contacts"])):
            counter += 1
            created_at = at(day, "contacts")
            contact = _contact(seller, rng, f"demo-{ref}-l{counter}", created_at, now)
            if kept(created_at):
                rows["contacts"].append(contact)
        if day.weekday() == 0:
            observed_at = datetime.combine(day, time(INVENTORY_HOUR), tzinfo=zone)
            for sku in seller.skus:
                counter += 1
                snapshot = _inventory(seller, rng, f"demo-{ref}-i{counter}", sku, observed_at)
                if kept(observed_at):
                    rows["inventory"].append(snapshot)
        day += DAY
    return rows


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    limit, product, count = pow(2.718281828459045, -mean), rng.random(), 0
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _partners() -> QuerySet[Partner]:
    return Partner.objects.select_related("tier").prefetch_related("products", "status_changes")


def _ingest(batches: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    stored = {}
    for kind, rows in batches.items():
        result = ingest(kind=kind, rows=rows)
        assert not result.errors, result.errors[:3]
        stored[kind] = result.created + result.updated + result.unchanged
    return stored


def activity_seed(*, now: datetime | None = None) -> dict[str, int]:
    """A year of activity up to `now` (default: now) for every partner of the current
    tenant, folded into the rollups; returns row counts by kind."""
    now = now or timezone.now()
    batches: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for partner in _partners().order_by("ref"):
        rng = random.Random(f"demo-activity-{partner.ref}")
        seller = _seller(partner, rng, since=now - timedelta(days=365))
        if seller is None:
            continue
        for kind, rows in _history_rows(seller, rng, now).items():
            batches[kind].extend(rows)
    totals = _ingest(batches)
    rollups.fold_all()
    return totals


def live_sellers() -> list[Seller]:
    """The demo's partners that sell now (active or affiliate), each with the size the
    history gave it."""
    partners = _partners().filter(
        pk__in=demo_partners().values("pk"),
        status__in=[PartnerStatus.ACTIVE, PartnerStatus.AFFILIATE],
    )
    sellers = []
    for partner in partners.order_by("ref"):
        seller = _seller(partner, random.Random(f"demo-activity-{partner.ref}"))
        if seller is not None:
            sellers.append(seller)
    return sellers


def live_rows(
    now: datetime, elapsed: timedelta, sellers: Iterable[Seller] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The activity of the `elapsed` time up to `now`, every row dated `now`: for each
    seller, each kind's count drawn with the history's daily mean x elapsed / 24 h (a
    won order, three times in four, or one still open), and the Monday inventory
    count if 06:00 of a Monday fell within. The same `now` draws the same rows (its
    external ids name it), so a tick run twice adds nothing the second time."""
    zone = tenant_zone()
    now = now.astimezone(zone)
    share = elapsed / DAY
    stamp = f"{now:%Y%m%d%H%M%S%f}"
    count_moment = datetime.combine(now.date(), time(INVENTORY_HOUR), tzinfo=zone)
    inventory_due = now.weekday() == 0 and now - elapsed < count_moment <= now
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for seller in live_sellers() if sellers is None else sellers:
        rng = random.Random(f"demo-live-{seller.ref}-{stamp}")
        means = seller.daily_means(now.date())
        prefix = f"live-{seller.ref}-{stamp}"
        for index in range(_poisson(rng, means["orders"] * share)):
            order = _order(seller, rng, f"{prefix}-o{index}", now, now)
            if rng.random() < 0.75:
                order.update(status="won", closed_at=now.isoformat())
            else:
                order.update(status="open", closed_at="")
            rows["orders"].append(order)
        for index in range(_poisson(rng, means["calls"] * share)):
            rows["calls"].append(_call(seller, rng, f"{prefix}-c{index}", now))
        for index in range(_poisson(rng, means["contacts"] * share)):
            rows["contacts"].append(_contact(seller, rng, f"{prefix}-l{index}", now, now))
        if inventory_due:
            for sku in seller.skus:
                rows["inventory"].append(_inventory(seller, rng, f"{prefix}-i-{sku}", sku, now))
    return rows


def live_tick(*, now: datetime | None = None, elapsed: timedelta) -> int:
    """Add the live activity of the `elapsed` time up to `now` (default: now) to the
    current tenant; returns the rows created."""
    batches = {
        kind: rows for kind, rows in live_rows(now or timezone.now(), elapsed).items() if rows
    }
    stored = 0
    for kind, rows in batches.items():
        stored += ingest(kind=kind, rows=rows).created
    return stored
