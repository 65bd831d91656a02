"""Every metric of DESIGN.md on hand-computed fixtures: sums first, divisions after,
null on a division by zero, a period that spans two months."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from partners.models import Partner
from reporting.metrics import Period, derive, partner_metrics
from tests.conftest import TenantClient, tenant_schema
from tests.reporting.activity import accepted, call, contact, inventory, order, send
from tests.reporting.conftest import Catalogue


def components(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "orders_won": 0,
        "orders_lost": 0,
        "revenue": Decimal("0.00"),
        "cost": Decimal("0.00"),
        "items_sold": 0,
        "first_order_at": None,
        "last_order_at": None,
    }
    return {**base, **values}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- derive(), one formula at a time ------------------------------------------------------


def test_every_formula_on_summed_components() -> None:
    # given the sums of a period: 4 won and 2 lost orders, 350.00 revenue, 130.00 cost,
    # 7 items, first and last won order 4 days 12 hours apart
    summed = components(
        orders_won=4,
        orders_lost=2,
        revenue=Decimal("350.00"),
        cost=Decimal("130.00"),
        items_sold=7,
        first_order_at=moment("2026-01-30T06:00:00+00:00"),
        last_order_at=moment("2026-02-03T18:00:00+00:00"),
    )

    # when the metrics are derived
    metrics = derive(summed)

    # then each is its formula, rounded to its places
    assert metrics == {
        "avg_order_value": Decimal("87.50"),  # 350 / 4
        "cost_per_sale": Decimal("32.50"),  # 130 / 4
        "avg_item_price": Decimal("50.00"),  # 350 / 7
        "win_rate": Decimal("0.6667"),  # 4 / 6
        "avg_days_between_orders": Decimal("1.50"),  # 4.5 days / 3
        "margin": Decimal("220.00"),  # 350 - 130
    }


def test_no_orders_at_all_gives_null_not_zero() -> None:
    # when nothing was sold or lost
    metrics = derive(components())

    # then every ratio is null, and the margin is zero
    assert metrics == {
        "avg_order_value": None,
        "cost_per_sale": None,
        "avg_item_price": None,
        "win_rate": None,
        "avg_days_between_orders": None,
        "margin": Decimal("0.00"),
    }


def test_only_lost_orders_give_a_zero_win_rate_and_no_averages() -> None:
    # when every order was lost
    metrics = derive(components(orders_lost=3))

    # then the win rate is 0 (a real ratio), the per-sale figures null
    assert metrics["win_rate"] == Decimal("0.0000")
    assert metrics["avg_order_value"] is None
    assert metrics["cost_per_sale"] is None


def test_one_won_order_has_no_interval_between_orders() -> None:
    # when one order was won, of nothing but services (no items)
    at = moment("2026-02-01T10:00:00+00:00")
    metrics = derive(
        components(orders_won=1, revenue=Decimal("99.99"), first_order_at=at, last_order_at=at)
    )

    # then there is no interval (0 / 0) and no item price, but an order value
    assert metrics["avg_days_between_orders"] is None
    assert metrics["avg_item_price"] is None
    assert metrics["avg_order_value"] == Decimal("99.99")
    assert metrics["win_rate"] == Decimal("1.0000")


def test_a_loss_making_period_has_a_negative_margin() -> None:
    metrics = derive(components(orders_won=2, revenue=Decimal("10.00"), cost=Decimal("25.50")))
    assert metrics["margin"] == Decimal("-15.50")
    assert metrics["cost_per_sale"] == Decimal("12.75")


# --- the whole path, over a period spanning January and February --------------------------

PERIOD = {"from": "2026-01-30", "to": "2026-02-02"}


@pytest.fixture
def hand_computed(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> Catalogue:
    """acme's activity around 30 January - 2 February 2026, folded; the expected sums
    are in the test below, worked out by hand."""
    acme = alpha_catalogue.ref("acme")
    bolt = alpha_catalogue.ref("bolt")
    gadget, widget = alpha_catalogue.sku("gadget"), alpha_catalogue.sku("widget")
    orders = [
        # won in the period
        order(
            "h-won-1",
            acme,
            amount="100.00",
            cost="40.00",
            quantity=2,
            channel="online_store",
            new_account=True,
            ordered_at="2026-01-29T10:00:00Z",
            closed_at="2026-01-30T06:00:00Z",
        ),
        order(
            "h-won-2",
            acme,
            amount="200.50",
            cost="80.25",
            quantity=3,
            channel="display_shelf",
            ordered_at="2026-01-30T01:00:00Z",
            closed_at="2026-01-31T20:00:00Z",
        ),
        order(
            "h-won-3",
            acme,
            amount="49.50",
            cost="9.75",
            quantity=5,
            channel="direct",
            ordered_at="2026-01-31T12:00:00Z",
            closed_at="2026-02-02T18:00:00Z",
        ),
        # lost in the period: counts for the win rate only
        order(
            "h-lost",
            acme,
            status="lost",
            amount="999.99",
            cost="500.00",
            quantity=9,
            ordered_at="2026-01-20T10:00:00Z",
            closed_at="2026-02-01T10:00:00Z",
        ),
        # open, ordered in the period
        order("h-open", acme, status="open", amount="10.00", ordered_at="2026-02-02T23:59:00Z"),
        # won just outside the period, on either side
        order(
            "h-before",
            acme,
            amount="1000.00",
            ordered_at="2026-01-28T10:00:00Z",
            closed_at="2026-01-29T23:59:59Z",
        ),
        order(
            "h-after",
            acme,
            amount="2000.00",
            ordered_at="2026-02-03T00:00:00Z",
            closed_at="2026-02-03T00:00:00Z",
        ),
        # bolt lost its only order; cogs has no activity at all
        order(
            "h-bolt-lost",
            bolt,
            status="lost",
            amount="50.00",
            ordered_at="2026-01-30T10:00:00Z",
            closed_at="2026-01-31T10:00:00Z",
        ),
    ]
    calls = [
        call(
            "h-call-1",
            acme,
            direction="made",
            duration_seconds=60,
            occurred_at="2026-01-30T09:00:00Z",
        ),
        call(
            "h-call-2",
            acme,
            direction="received",
            counterpart="channel_team",
            duration_seconds=120,
            occurred_at="2026-02-01T09:00:00Z",
        ),
        call(
            "h-call-out",
            acme,
            direction="made",
            counterpart="channel_team",
            duration_seconds=30,
            occurred_at="2026-02-03T09:00:00Z",
        ),
    ]
    contacts = [
        contact(
            "h-lead-1", acme, created_at="2026-01-29T09:00:00Z", converted_at="2026-01-31T09:00:00Z"
        ),
        contact("h-lead-2", acme, created_at="2026-02-01T09:00:00Z"),
        contact(
            "h-lead-3", acme, created_at="2026-02-02T09:00:00Z", converted_at="2026-02-02T10:00:00Z"
        ),
    ]
    snapshots = [
        inventory(
            "h-inv-1", acme, product=gadget, items_listed=5, observed_at="2026-01-30T10:00:00Z"
        ),
        inventory(
            "h-inv-2", acme, product=gadget, items_listed=7, observed_at="2026-02-01T08:00:00Z"
        ),
        inventory(
            "h-inv-3", acme, product=gadget, items_listed=4, observed_at="2026-02-01T20:00:00Z"
        ),
        inventory(
            "h-inv-4", acme, product=widget, items_listed=3, observed_at="2026-02-01T09:00:00Z"
        ),
        inventory(
            "h-inv-5", acme, product=gadget, items_listed=100, observed_at="2026-02-03T09:00:00Z"
        ),
    ]
    for kind, rows in (
        ("orders", orders),
        ("calls", calls),
        ("contacts", contacts),
        ("inventory", snapshots),
    ):
        body = accepted(send(alpha_api, kind, rows, form="ndjson"))
        assert (body["created"], body["errors"]) == (len(rows), [])
    fold()
    return alpha_catalogue


def test_every_metric_of_a_period_spanning_two_months(
    hand_computed: Catalogue, alpha_api: TenantClient
) -> None:
    # when alpha's partners' metrics for 30 January - 2 February are asked for
    response = alpha_api.get("/api/v1/metrics/partners/", {**PERIOD, "tag": hand_computed.tag})

    # then acme's are the hand-computed ones, money as strings
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["count"]) == ("2026-01-30", "2026-02-02", 3)
    rows = {row["partner"]: row for row in body["results"]}
    acme = rows[hand_computed.ref("acme")]
    assert {key: value for key, value in acme.items() if key != "name"} == {
        "partner": hand_computed.ref("acme"),
        # h-won-2, h-won-3 and h-open were ordered in the period (h-won-1 on 29 Jan)
        "orders_opened": 3,
        "orders_won": 3,
        "orders_lost": 1,
        "revenue": "350.00",  # 100.00 + 200.50 + 49.50
        "cost": "130.00",  # 40.00 + 80.25 + 9.75
        "items_sold": 10,  # 2 + 3 + 5; the lost order's 9 do not count
        "items_online_store": 2,
        "items_display_shelf": 3,
        "new_accounts": 1,
        "calls_made": 1,
        "calls_received": 1,
        "call_seconds": 180,
        "channel_calls": 1,
        "contacts_generated": 2,  # h-lead-2 and -3; h-lead-1 came on 29 Jan
        "contacts_converted": 2,  # h-lead-1 (converted 31 Jan) and -3
        "first_order_at": "2026-01-30T06:00:00Z",
        "last_order_at": "2026-02-02T18:00:00Z",
        # the last day with snapshots is 1 Feb: gadget's last (4) + widget's (3)
        "inventory_listed": 7,
        "avg_order_value": "116.67",  # 350.00 / 3
        "cost_per_sale": "43.33",  # 130.00 / 3
        "avg_item_price": "35.00",  # 350.00 / 10
        "win_rate": "0.7500",  # 3 / 4
        "avg_days_between_orders": "1.75",  # 3.5 days / (3 - 1)
        "margin": "220.00",
    }

    # and a partner that only lost, and one with nothing, get null ratios, not zeros
    bolt = rows[hand_computed.ref("bolt")]
    assert (bolt["orders_lost"], bolt["win_rate"], bolt["avg_order_value"]) == (1, "0.0000", None)
    cogs = rows[hand_computed.ref("cogs")]
    assert [cogs[key] for key in ("avg_order_value", "cost_per_sale", "avg_item_price")] == [
        None,
        None,
        None,
    ]
    assert [cogs[key] for key in ("win_rate", "avg_days_between_orders", "inventory_listed")] == [
        None,
        None,
        None,
    ]
    assert (cogs["revenue"], cogs["margin"], cogs["orders_won"]) == ("0.00", "0.00", 0)


def test_a_period_is_summed_never_averaged_from_sub_periods(
    hand_computed: Catalogue, tenant_a: Any
) -> None:
    # given acme's order values in January (100.00 and 200.50) and February (49.50)
    with tenant_schema(tenant_a):
        partners = Partner.objects.filter(pk=hand_computed.id("acme"))

        # when the metrics of each month's part and of the whole period are computed
        def value(start: date, end: date) -> Any:
            (row,) = partner_metrics(partners=partners, period=Period(start, end))
            return row["avg_order_value"]

        january = value(date(2026, 1, 30), date(2026, 1, 31))
        february = value(date(2026, 2, 1), date(2026, 2, 2))
        whole = value(date(2026, 1, 30), date(2026, 2, 2))

    # then the whole period's average is 350.00 / 3, not the average of the averages
    assert (january, february) == (Decimal("150.25"), Decimal("49.50"))
    assert whole == Decimal("116.67")
    assert whole != ((january + february) / 2).quantize(Decimal("0.01"))
