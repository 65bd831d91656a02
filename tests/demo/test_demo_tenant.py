"""The demo tenant makes a good demo (issue 16, item 8 and the demo's logins): its
history ends at the seed's now, in business hours of the tenant's day; its partners
joined the registry when their status history begins; while `make run` runs, the live
tick adds activity at the history's rate, dated at the tick's now, only to the
partners the demo created; and every channel manager of the demo can sign in.

The demo is seeded into alpha (the test's transaction) at a fixed now, in a zone far
from UTC, and the live tick runs for 30 simulated minutes with that clock moved on:
the generator's own clock, the way beat's ticks call it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max, Min, Q

from demo.activity import live_rows, live_sellers, live_tick
from demo.registry import demo_partners
from demo.services import demo_fill, demo_logins
from partners.models import Partner, PartnerStatus, Product, StatusChange, Tier
from partners.services import partner_create, partner_delete
from prm.accounts.models import Role, User
from prm.tenancy.clock import tenant_today
from reporting import rollups
from reporting.metrics import totals
from reporting.models import Call, InventorySnapshot, Lead, Order
from reporting.scorecard import preset_period
from tests.commands import run_manage
from tests.conftest import tenant_schema

ZONE = ZoneInfo("Asia/Tokyo")  # 9 h ahead of UTC: a UTC day's afternoon is its night
# A Wednesday afternoon in the middle of a month, in the tenant's zone.
SEED_NOW = datetime(2026, 11, 18, 14, 0, tzinfo=ZONE)
TICK = timedelta(seconds=10)  # beat's interval for demo.live
TICKS = 180  # 30 minutes
FIGURES = (
    "revenue",
    "orders_won",
    "orders_opened",
    "calls_made",
    "calls_received",
    "contacts_generated",
)


@pytest.fixture
def tokyo_alpha(db: None, tenant_a: Any) -> Iterator[Any]:
    """alpha's days are Tokyo's for the test; the row is put back afterwards."""
    previous = tenant_a.time_zone
    tenant_a.time_zone = ZONE.key
    tenant_a.save(update_fields=["time_zone"])
    try:
        with tenant_schema(tenant_a):
            yield tenant_a
    finally:
        tenant_a.time_zone = previous
        tenant_a.save(update_fields=["time_zone"])


@pytest.fixture
def demo_alpha(tokyo_alpha: Any) -> Any:
    """The demo seeded into alpha at SEED_NOW."""
    demo_fill(slug="alpha", now=SEED_NOW)
    return tokyo_alpha


def _latest_activity() -> datetime:
    """The latest moment any activity row names."""
    moments = [
        *Order.objects.aggregate(Max("ordered_at"), Max("closed_at")).values(),
        *Call.objects.aggregate(Max("occurred_at")).values(),
        *Lead.objects.aggregate(Max("created_at"), Max("converted_at")).values(),
        *InventorySnapshot.objects.aggregate(Max("observed_at")).values(),
    ]
    return max(moment for moment in moments if moment is not None)


def _this_month(now: datetime) -> dict[str, Any]:
    values = totals(
        partners=Partner.objects.all(), period=preset_period("month", tenant_today(now))
    )
    return {name: values[name] for name in FIGURES}


def test_the_seeded_history_ends_at_the_seeds_now_in_business_hours_of_the_tenants_day(
    demo_alpha: Any,
) -> None:
    # given: the demo seeded at 14:00 of a Tokyo day (demo_alpha)
    # when
    latest = _latest_activity()
    hours = {
        kind: {
            moment.astimezone(ZONE).hour
            for moment in model.objects.values_list(field, flat=True)
            if moment is not None
        }
        for kind, model, field in (
            ("orders", Order, "ordered_at"),
            ("calls", Call, "occurred_at"),
            ("contacts", Lead, "created_at"),
        )
    }
    # then: a year of it, nothing after the seed's now, all in Tokyo's working day
    assert Order.objects.count() > 1000
    assert Lead.objects.count() > 500
    assert latest <= SEED_NOW
    assert Order.objects.filter(ordered_at__date=SEED_NOW.date()).exists()
    assert not Order.objects.filter(status="open", closed_at__isnull=False).exists()
    for kind, seen in hours.items():
        assert seen, kind
        assert min(seen) >= 8, (kind, sorted(seen))
        assert max(seen) <= 19, (kind, sorted(seen))


def test_a_demo_partner_joined_the_registry_when_its_status_history_begins(
    demo_alpha: Any,
) -> None:
    # given: the demo seeded (demo_alpha)
    # when
    partners = Partner.objects.annotate(
        first_change=Min("status_changes__changed_at"),
        last_change=Max("status_changes__changed_at"),
    )
    # then: in the registry since the day its history starts, spread over the past
    # year and more, never after now; its audit history and contacts from then on
    assert partners.count() == 50
    joined = set()
    for partner in partners:
        assert partner.created_at == partner.first_change, partner.ref
        assert partner.last_change <= SEED_NOW
        created = partner.history.filter(history_type="+").get()
        assert created.history_date == partner.created_at, partner.ref
        assert partner.history.aggregate(Max("history_date"))["history_date__max"] <= SEED_NOW
        assert not partner.contacts.filter(created_at__lt=partner.created_at).exists()
        joined.add(partner.created_at.date())
    assert len(joined) > 30
    # each step made in office hours of the tenant's day
    hours = {
        moment.astimezone(ZONE).hour
        for moment in StatusChange.objects.values_list("changed_at", flat=True)
    }
    assert min(hours) >= 9
    assert max(hours) < 17
    assert min(joined) < (SEED_NOW - timedelta(days=300)).date()


def test_thirty_minutes_of_live_ticks_move_this_month_a_little_and_only_for_the_demos_partners(
    demo_alpha: Any,
) -> None:
    # given: the demo seeded at SEED_NOW, and a partner a user created since, active,
    # in the top tier and selling the demo's products: the kind the generator favours
    user_partner = partner_create(
        actor=None,
        channel_manager=User.objects.get(email="manager@alpha.test"),
        ref="imported-reseller",
        name="Imported Reseller Ltd",
        status=PartnerStatus.ACTIVE,
        tier=Tier.objects.get(slug="platinum"),
        products=list(Product.objects.all()),
    )
    before = _this_month(SEED_NOW)
    ticks = [SEED_NOW + TICK * step for step in range(1, TICKS + 1)]

    # when: beat's ticks of 30 minutes, each at its own now, then a fold
    created = sum(live_tick(now=now, elapsed=TICK) for now in ticks)
    rollups.fold_all()
    after = _this_month(ticks[-1])

    # then: some live activity, each row dated at the tick that added it
    live = Q(external_id__startswith="live-")
    assert created > 0
    stamps = {
        *Order.objects.filter(live).values_list("ordered_at", flat=True),
        *Order.objects.filter(live, closed_at__isnull=False).values_list("closed_at", flat=True),
        *Call.objects.filter(live).values_list("occurred_at", flat=True),
        *Lead.objects.filter(live).values_list("created_at", flat=True),
    }
    assert stamps
    assert stamps <= set(ticks)
    assert _latest_activity() <= ticks[-1]
    assert not Lead.objects.filter(converted_at__gt=ticks[-1]).exists()
    # "this month" moved by less than 10 % on every figure
    for name in FIGURES:
        assert before[name] > 0, name
        assert before[name] <= after[name] < before[name] * 11 / 10, (name, before, after)
    # nothing for the partner the demo did not create
    for model in (Order, Call, Lead, InventorySnapshot):
        assert not model.objects.filter(partner=user_partner).exists(), model


def test_the_live_ticks_of_a_day_add_what_a_day_of_the_history_has(demo_alpha: Any) -> None:
    # given: the seeded weekdays of the four weeks before the seed's day, per day
    day = SEED_NOW.date()
    weekdays = [day - timedelta(days=back) for back in range(1, 29)]
    weekdays = [weekday for weekday in weekdays if weekday.weekday() < 5]
    seeded = {
        "orders": Order.objects.filter(ordered_at__date__in=weekdays).count(),
        "calls": Call.objects.filter(occurred_at__date__in=weekdays).count(),
        "contacts": Lead.objects.filter(created_at__date__in=weekdays).count(),
    }
    # when: five weekdays' worth of live activity drawn at once (not stored)
    rows = live_rows(SEED_NOW, timedelta(days=5))
    # then: per day, about what the history had (its rate, not a multiple of it)
    for kind, count in seeded.items():
        history_per_day = count / len(weekdays)
        live_per_day = len(rows[kind]) / 5
        assert history_per_day > 10, kind
        assert 0.75 < live_per_day / history_per_day < 1.33, (kind, history_per_day, live_per_day)


def test_the_live_tick_chooses_among_the_demos_partners_only(demo_alpha: Any) -> None:
    # given: a partner a user created, active and selling, and one imported later
    # under the ref of a demo partner the user deleted
    manager = User.objects.get(email="manager@alpha.test")
    products = list(Product.objects.all())
    partner_create(
        actor=manager,
        channel_manager=manager,
        ref="fresh-partner",
        name="Fresh Partner Ltd",
        status=PartnerStatus.ACTIVE,
        products=products,
    )
    deleted = demo_partners().filter(status=PartnerStatus.PROSPECT).first()
    assert deleted is not None
    partner_delete(partner=deleted, actor=manager)
    partner_create(
        actor=manager,
        channel_manager=manager,
        ref=deleted.ref,
        name="Reused Ref Ltd",
        status=PartnerStatus.ACTIVE,
        products=products,
    )
    demo_active = set(
        demo_partners()
        .filter(status__in=[PartnerStatus.ACTIVE, PartnerStatus.AFFILIATE])
        .values_list("ref", flat=True)
    )
    # when
    sellers = {seller.ref for seller in live_sellers()}
    # then: every active demo partner sells (they all carry priced products), no other
    assert "fresh-partner" not in sellers
    assert deleted.ref not in sellers
    assert sellers == demo_active
    assert len(sellers) > 20
    assert Partner.objects.count() == len(demo_partners()) + 2


def test_a_tick_run_twice_adds_nothing_the_second_time(demo_alpha: Any) -> None:
    # given: a tick long enough to draw rows
    now = SEED_NOW + timedelta(hours=1)
    first = live_tick(now=now, elapsed=timedelta(hours=1))
    # when: the same tick again (a redelivered task)
    second = live_tick(now=now, elapsed=timedelta(hours=1))
    # then
    assert first > 0
    assert second == 0


def test_every_channel_manager_of_the_demo_signs_in_with_a_printed_password(
    tokyo_alpha: Any,
) -> None:
    # given: alpha without partners (the test's transaction)
    # when: the run command's call, seeding alpha as the demo
    result = run_manage("seed_demo", "--tenant", "alpha", "--print-logins")
    # then: a line per demo login, and each manager of a demo partner among them,
    # whose printed password is theirs
    assert result.exit_code == 0, result.stderr
    printed = {
        fields[1]: fields[3]
        for fields in (line.split() for line in result.stdout.splitlines())
        if len(fields) == 4 and fields[2] == "password"
    }
    assert set(printed) == {email for _role, email, _password, _name in demo_logins("alpha")}
    managers = User.objects.filter(managed_partners__isnull=False).distinct()
    assert managers.count() == 4
    for manager in managers:
        assert manager.role == Role.MANAGER
        assert manager.is_active
        assert manager.check_password(printed[manager.email]), manager.email


def test_the_history_of_a_seed_just_after_midnight_has_nothing_of_the_day_to_come(
    tokyo_alpha: Any,
) -> None:
    # given: a demo started at 00:30 of the tenant's day
    early = datetime(2026, 11, 18, 0, 30, tzinfo=ZONE)
    # when
    demo_fill(slug="alpha", now=early)
    # then: the day's business hours have not come yet, so nothing is dated on it
    assert _latest_activity() <= early
    assert not Call.objects.filter(occurred_at__gte=early - timedelta(hours=1)).exists()
    assert not StatusChange.objects.filter(changed_at__gt=early).exists()
