"""Demo activity: a year of orders, calls, contacts and inventory for the demo
registry, and a trickle of live activity while the demo runs. Deterministic for a
given day (fixed seeds), and written through the same ingestion service as the API,
so the demo exercises the real pipeline."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partners.models import Partner, PartnerStatus
from reporting import rollups
from reporting.ingest import ingest

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


def _selling_window(partner: Partner, now: datetime) -> tuple[datetime, datetime] | None:
    """When the partner sold: from onboarding's end to a suspension or termination."""
    changes = {change.to_status: change.changed_at for change in partner.status_changes.all()}
    start = changes.get(PartnerStatus.ACTIVE) or changes.get(PartnerStatus.AFFILIATE)
    if start is None:
        return None
    end = changes.get(PartnerStatus.TERMINATED) or changes.get(PartnerStatus.SUSPENDED) or now
    return (max(start, now - timedelta(days=365)), end)


def _partner_rows(
    partner: Partner, rng: random.Random, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        "orders": [],
        "calls": [],
        "contacts": [],
        "inventory": [],
    }
    window = _selling_window(partner, now)
    skus = [product.sku for product in partner.products.all() if product.sku in PRICES]
    if window is None or not skus:
        return rows
    tier = partner.tier.slug if partner.tier else None
    size = TIER_SIZE.get(tier, 0.6) * rng.uniform(0.6, 1.4)
    discount = TIER_DISCOUNT.get(tier or "", Decimal("0.90"))
    start, end = window
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    counter = 0
    while day < end:
        weekday = day.weekday() < 5
        growth = 0.7 + 0.6 * ((day - start).days / 365)
        for _ in range(_poisson(rng, size * growth * (1.0 if weekday else 0.25))):
            counter += 1
            ordered_at = day + timedelta(hours=rng.uniform(8, 19))
            sku = rng.choice(skus)
            quantity = rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
            amount = (PRICES[sku] * quantity * discount).quantize(Decimal("0.01"))
            closed_at = ordered_at + timedelta(days=rng.uniform(0.5, 21))
            status = "open" if closed_at > now else rng.choices(["won", "lost"], [3, 1])[0]
            rows["orders"].append(
                {
                    "external_id": f"demo-{partner.ref}-o{counter}",
                    "partner": partner.ref,
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
            )
        for _ in range(_poisson(rng, (1.5 * size + 1) * (1.0 if weekday else 0.1))):
            counter += 1
            rows["calls"].append(
                {
                    "external_id": f"demo-{partner.ref}-c{counter}",
                    "partner": partner.ref,
                    "direction": rng.choice(["made", "received"]),
                    "counterpart": rng.choices(["customer", "channel_team"], [4, 1])[0],
                    "duration_seconds": int(rng.expovariate(1 / 420)),
                    "occurred_at": (day + timedelta(hours=rng.uniform(8, 18))).isoformat(),
                }
            )
        for _ in range(_poisson(rng, 0.6 * size * (1.0 if weekday else 0.2))):
            counter += 1
            created = day + timedelta(hours=rng.uniform(0, 23))
            converted = created + timedelta(days=rng.uniform(1, 30))
            rows["contacts"].append(
                {
                    "external_id": f"demo-{partner.ref}-l{counter}",
                    "partner": partner.ref,
                    "source": rng.choice(SOURCES),
                    "created_at": created.isoformat(),
                    "converted_at": converted.isoformat()
                    if converted < now and rng.random() < 0.3
                    else "",
                }
            )
        if day.weekday() == 0:
            for sku in skus:
                counter += 1
                rows["inventory"].append(
                    {
                        "external_id": f"demo-{partner.ref}-i{counter}",
                        "partner": partner.ref,
                        "product": sku,
                        "items_listed": int(rng.uniform(2, 40) * size),
                        "observed_at": (day + timedelta(hours=6)).isoformat(),
                    }
                )
        day += timedelta(days=1)
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


def activity_seed() -> dict[str, int]:
    """A year of activity for every partner of the current tenant; returns row counts."""
    now = timezone.now()
    totals = {"orders": 0, "calls": 0, "contacts": 0, "inventory": 0}
    partners = Partner.objects.select_related("tier").prefetch_related("products", "status_changes")
    batches: dict[str, list[dict[str, Any]]] = {kind: [] for kind in totals}
    for partner in partners.order_by("ref"):
        rng = random.Random(f"demo-activity-{partner.ref}")
        for kind, rows in _partner_rows(partner, rng, now).items():
            batches[kind].extend(rows)
    for kind, rows in batches.items():
        result = ingest(kind=kind, rows=rows)
        totals[kind] = result.created + result.updated + result.unchanged
        assert not result.errors, result.errors[:3]
    rollups.fold_all()
    return totals


def live_rows(now: datetime, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """A few fresh rows for active partners: what the beat job adds while the demo runs."""
    rng = random.Random()
    partners = list(
        Partner.objects.filter(status__in=[PartnerStatus.ACTIVE, PartnerStatus.AFFILIATE])
        .prefetch_related("products")
        .order_by("ref")
    )
    for _ in range(count):
        partner = rng.choice(partners) if partners else None
        skus = [p.sku for p in partner.products.all() if p.sku in PRICES] if partner else []
        if partner is None or not skus:
            return
        stamp = f"{now:%Y%m%d%H%M%S}-{rng.randrange(10**9)}"
        if rng.random() < 0.5:
            sku = rng.choice(skus)
            quantity = rng.choice([1, 2, 3])
            amount = (PRICES[sku] * quantity * Decimal("0.85")).quantize(Decimal("0.01"))
            yield (
                "orders",
                {
                    "external_id": f"live-{stamp}",
                    "partner": partner.ref,
                    "product": sku,
                    "status": "won",
                    "amount": str(amount),
                    "cost": str((amount * Decimal("0.68")).quantize(Decimal("0.01"))),
                    "quantity": quantity,
                    "channel": rng.choice(CHANNELS),
                    "ordered_at": (now - timedelta(hours=rng.uniform(1, 72))).isoformat(),
                    "closed_at": now.isoformat(),
                },
            )
        else:
            yield (
                "calls",
                {
                    "external_id": f"live-{stamp}",
                    "partner": partner.ref,
                    "direction": rng.choice(["made", "received"]),
                    "counterpart": rng.choice(["customer", "channel_team"]),
                    "duration_seconds": rng.randint(30, 1200),
                    "occurred_at": now.isoformat(),
                },
            )


def live_tick(count: int = 3) -> int:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for kind, row in live_rows(timezone.now(), count):
        by_kind.setdefault(kind, []).append(row)
    stored = 0
    for kind, rows in by_kind.items():
        result = ingest(kind=kind, rows=rows)
        stored += result.created
    return stored
