"""The channel manager dashboard at `/`: period maths and the period picker's errors,
tiles against the metrics API, the previous-period comparison, filters (my partners
by default for managers), breakdowns, the leaderboard, the live fragment, the CSV
downloads, the partner page's metrics, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Partner, StatusChange
from partners.services import partner_transition, tier_create
from prm.accounts.models import Role
from prm.spreadsheets import spreadsheet_cell as cell
from prm.tenancy.clock import tenant_today
from prm.tenancy.models import Tenant
from prm.web import formats
from reporting.dashboard import sort_label
from reporting.forms import PeriodForm
from reporting.metrics import Period
from reporting.scorecard import (
    TILES_BY_KEY,
    interval_for,
    make_tile,
    preset_period,
    previous_period,
)
from slas.models import EventKind, SlaEvent
from slas.services import partner_request_open
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.factories import PartnerFactory, UserFactory
from tests.reporting.activity import accepted, call, contact, inventory, order, send
from tests.reporting.conftest import Catalogue

TODAY = date(2026, 11, 18)


# --- period maths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("month", date(2026, 11, 1), TODAY),
        ("30d", date(2026, 10, 20), TODAY),
        ("quarter", date(2026, 10, 1), TODAY),
        ("year", date(2026, 1, 1), TODAY),
        ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_presets_end_today(preset: str, start: date, end: date) -> None:
    assert preset_period(preset, TODAY) == Period(start, end)


def test_quarters_start_on_their_first_month() -> None:
    assert preset_period("quarter", date(2026, 3, 31)).start == date(2026, 1, 1)
    assert preset_period("quarter", date(2026, 4, 1)).start == date(2026, 4, 1)
    assert preset_period("quarter", date(2026, 9, 30)).start == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        # 18 days of November against the 18 days before them
        (Period(date(2026, 11, 1), TODAY), Period(date(2026, 10, 14), date(2026, 10, 31))),
        # one day against the day before, across a year end
        (
            Period(date(2026, 1, 1), date(2026, 1, 1)),
            Period(date(2025, 12, 31), date(2025, 12, 31)),
        ),
        # a leap February (29 days) against the 29 days before it
        (Period(date(2028, 2, 1), date(2028, 2, 29)), Period(date(2028, 1, 3), date(2028, 1, 31))),
    ],
)
def test_the_previous_period_has_the_same_length_and_ends_the_day_before(
    period: Period, previous: Period
) -> None:
    assert previous_period(period) == previous
    assert previous.days == period.days
    assert previous.end + timedelta(days=1) == period.start


@pytest.mark.parametrize(
    ("preset", "today", "compared_with"),
    [
        # the presets of days, months and quarters: the span of equal length before
        ("month", TODAY, Period(date(2026, 10, 14), date(2026, 10, 31))),
        ("30d", TODAY, Period(date(2026, 9, 20), date(2026, 10, 19))),
        ("quarter", TODAY, Period(date(2026, 8, 13), date(2026, 9, 30))),
        # this year so far: the same days of last year (not Jan 30 - Dec 31, 2025)
        ("year", date(2026, 12, 4), Period(date(2025, 1, 1), date(2025, 12, 4))),
        # last year: the year before it, whole
        ("last_year", date(2026, 12, 4), Period(date(2024, 1, 1), date(2024, 12, 31))),
        # a leap day has no twin a year before: Feb 28 stands in
        ("year", date(2028, 2, 29), Period(date(2027, 1, 1), date(2027, 2, 28))),
        ("last_year", date(2029, 3, 1), Period(date(2027, 1, 1), date(2027, 12, 31))),
    ],
)
def test_each_preset_is_compared_with_its_own_period(
    preset: str, today: date, compared_with: Period
) -> None:
    # given a preset chosen in the period picker on `today`
    form = PeriodForm({"period": preset}, today=today)
    assert form.is_valid(), form.errors

    # when it is compared
    compared = previous_period(form.chosen_period())

    # then it is compared with its own period
    assert compared == compared_with


def test_charts_use_days_then_weeks_then_months() -> None:
    assert interval_for(Period(date(2026, 1, 1), date(2026, 3, 31))) == "day"  # 90 days
    assert interval_for(Period(date(2026, 1, 1), date(2026, 12, 31))) == "week"
    assert interval_for(Period(date(2024, 1, 1), date(2026, 12, 31))) == "month"


def test_a_tile_gives_the_change_and_its_percent_and_none_when_it_cannot() -> None:
    revenue = TILES_BY_KEY["revenue"]
    tile = make_tile(revenue, Decimal("150.00"), Decimal("120.00"))
    assert (tile.change, tile.change_percent, tile.trend, tile.is_good) == (
        Decimal("30.00"),
        Decimal("25.0"),
        "up",
        True,
    )
    assert make_tile(revenue, Decimal("10.00"), Decimal("0.00")).change_percent is None
    assert make_tile(TILES_BY_KEY["win_rate"], None, Decimal("0.5")).change is None
    cost = make_tile(TILES_BY_KEY["cost_per_sale"], Decimal("5.00"), Decimal("4.00"))
    assert cost.is_good is False  # a cost going up is bad news


# --- the period picker ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from", "valid date"),
        ({"from": "yesterday", "to": "2026-03-01"}, "from", "valid date"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to", "before the first day"),
        ({"period": "custom", "from": "2026-03-01"}, "to", "last day of the period"),
        ({"period": "custom"}, "from", "first day of the period"),
        ({"from": "2010-01-01", "to": "2026-03-01"}, "to", "at most 3700 days"),
        ({"period": "fortnight"}, "period", "Select a valid choice"),
    ],
)
def test_the_period_picker_explains_bad_input(
    data: dict[str, str], field: str, message: str
) -> None:
    form = PeriodForm(data, today=TODAY)
    assert not form.is_valid()
    assert message in " ".join(str(error) for error in form.errors[field])


def test_days_without_a_preset_make_a_custom_period_and_a_preset_wins_over_days() -> None:
    custom = PeriodForm({"from": "2026-01-05", "to": "2026-02-04"}, today=TODAY)
    assert custom.is_valid(), custom.errors
    assert custom.chosen_period() == Period(date(2026, 1, 5), date(2026, 2, 4))
    assert custom.query() == {"from": "2026-01-05", "to": "2026-02-04"}

    preset = PeriodForm({"period": "year", "from": "2026-01-05", "to": "2026-02-04"}, today=TODAY)
    assert preset.is_valid(), preset.errors
    assert preset.chosen_period() == Period(date(2026, 1, 1), TODAY)

    default = PeriodForm({}, today=TODAY)
    assert default.is_valid(), default.errors
    assert default.chosen_period() == Period(date(2026, 11, 1), TODAY)


# --- data for the views ------------------------------------------------------------------


def ingest(client: TenantClient, **batches: list[dict[str, Any]]) -> None:
    for kind, rows in batches.items():
        body = accepted(send(client, kind, rows))
        assert body["errors"] == [], body["errors"]


def won(
    key: str, ref: str, day: str, amount: str, *, cost: str = "0.00", items: int = 1, **more: Any
) -> dict[str, Any]:
    return order(
        key,
        ref,
        amount=amount,
        cost=cost,
        quantity=items,
        ordered_at=f"{day}T08:00:00Z",
        closed_at=f"{day}T{more.pop('hour', '10')}:00:00Z",
        **more,
    )


def lost(key: str, ref: str, day: str, hour: str = "13") -> dict[str, Any]:
    return order(
        key, ref, status="lost", ordered_at=f"{day}T08:00:00Z", closed_at=f"{day}T{hour}:00:00Z"
    )


def calls(key: str, ref: str, day: str, made: int, received: int) -> list[dict[str, Any]]:
    directions = ["made"] * made + ["received"] * received
    return [
        call(f"{key}-{n}", ref, direction=direction, occurred_at=f"{day}T09:00:00Z")
        for n, direction in enumerate(directions)
    ]


def contacts(key: str, ref: str, day: str, count: int) -> list[dict[str, Any]]:
    return [contact(f"{key}-{n}", ref, created_at=f"{day}T11:00:00Z") for n in range(count)]


@pytest.fixture
def manager_client(alpha_catalogue: Catalogue, tenant_a: Any) -> TenantClient:
    """alpha's browser signed in as the catalogue's manager (acme, bolt and cogs)."""
    return log_in(client_for(tenant_a), tenant_a, alpha_catalogue.manager)


@pytest.fixture
def board(
    alpha_catalogue: Catalogue,
    alpha_api: TenantClient,
    fold: Callable[[], int],
    tenant_a: Any,
) -> dict[str, Any]:
    """Activity in January 2026 (and December 2025, the previous period) of the
    catalogue's partners, sent to the API and folded, plus a partner of another
    manager with a large revenue.

    acme: gold tier, GB, gadget; bolt: silver, FR, gadget and widget; cogs: no tier,
    no country, no product."""
    catalogue = alpha_catalogue
    tag = catalogue.tag
    with tenant_schema(tenant_a):
        gold = tier_create(actor=None, slug=f"gold-{tag}", name=f"Gold {tag}")
        silver = tier_create(actor=None, slug=f"silver-{tag}", name=f"Silver {tag}")
        acme, bolt, cogs = (catalogue.partners[name] for name in ("acme", "bolt", "cogs"))
        Partner.objects.filter(pk=acme.pk).update(tier=gold, country="GB")
        Partner.objects.filter(pk=bolt.pk).update(tier=silver, country="FR")
        Partner.objects.filter(pk=cogs.pk).update(tier=None, country="")
        acme.products.set([catalogue.products["gadget"]])
        bolt.products.set([catalogue.products["gadget"], catalogue.products["widget"]])
        # bolt became an affiliate on 20 January
        for status in ("onboarding", "active", "affiliate"):
            partner_transition(partner=bolt, to_status=status, actor=None)
        StatusChange.objects.filter(partner=bolt, to_status="affiliate").update(
            changed_at=datetime(2026, 1, 20, 12, tzinfo=ZoneInfo("UTC"))
        )
        other_manager = UserFactory.create(role=Role.MANAGER)
        stranger = PartnerFactory.create(
            name=f"Zed Other {tag}", channel_manager=other_manager, tags=[tag]
        )
    a, b, c = acme.ref, bolt.ref, cogs.ref
    ingest(
        alpha_api,
        orders=[
            # acme, 5 Jan: two won (3 items online, 2 direct), one lost
            won("a1", a, "2026-01-05", "200.00", cost="80.00", items=3, channel="online_store"),
            won("a2", a, "2026-01-05", "100.00", cost="40.00", items=2, hour="12"),
            lost("a3", a, "2026-01-05"),
            # acme, 25 Jan: one won from a display shelf
            won("a4", a, "2026-01-25", "100.00", channel="display_shelf"),
            # bolt, 10 Jan: one won, one lost
            won("b1", b, "2026-01-10", "50.50", items=2),
            lost("b2", b, "2026-01-10"),
            # December 2025, the previous period: acme won 200.00, bolt lost two
            won("a0", a, "2025-12-20", "200.00"),
            lost("b0", b, "2025-12-31", hour="09"),
            lost("b00", b, "2025-12-31", hour="10"),
            # the other manager's partner
            won("z1", stranger.ref, "2026-01-15", "9999.00"),
        ],
        calls=[
            *calls("ac", a, "2026-01-05", made=4, received=1),
            *calls("bc", b, "2026-01-10", made=0, received=6),
            *calls("cc", c, "2026-01-12", made=2, received=0),
        ],
        contacts=[
            *contacts("al", a, "2026-01-05", 3),
            *contacts("bl", b, "2026-01-10", 1),
            *contacts("cl", c, "2026-01-12", 5),
        ],
        inventory=[
            inventory("ai1", a, items_listed=40, observed_at=f"{JAN}05T12:00:00Z"),
            inventory("ai2", a, items_listed=35, observed_at=f"{JAN}25T12:00:00Z"),
        ],
    )
    fold()
    return {
        "catalogue": catalogue,
        "gold": gold,
        "silver": silver,
        "stranger": stranger,
        "other_manager": other_manager,
    }


JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
JAN, FEB = "2026-01-", "2026-02-"


def tiles(response: Any) -> dict[str, Any]:
    return {tile.key: tile for tile in response.context["scorecard"]["tiles"]}


def rows_of(response: Any, tenant: Any = None) -> list[dict[str, str]]:
    """The rows of a streamed CSV; rows read from the database as it streams need the
    tenant's schema, which the test client has switched away from by then."""
    if tenant is None:
        body = b"".join(response.streaming_content).decode()
    else:
        with tenant_schema(tenant):
            body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- the page -------------------------------------------------------------------------------


def test_a_manager_sees_the_dashboard_of_their_own_partners_by_default(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    # when the manager opens the dashboard for January
    response = manager_client.get("/", JANUARY)

    # then the tiles sum their three partners only (not the other manager's 9,999.00)
    assert response.status_code == 200
    shown = tiles(response)
    assert shown["revenue"].value == Decimal("450.50")
    assert shown["orders_won"].value == 4
    assert shown["win_rate"].value == Decimal("0.6667")  # 4 / (4 + 2)
    assert shown["avg_order_value"].value == Decimal("112.62")  # 450.50 / 4, rounded half to even
    assert shown["margin"].value == Decimal("330.50")
    assert shown["calls_made"].value == 6
    assert shown["calls_received"].value == 7
    assert shown["contacts_generated"].value == 9
    assert shown["partners_sold"].value == 2
    assert shown["affiliates_converted"].value == 1
    assert shown["partners"].value == 3
    assert shown["contacts_per_partner"].value == Decimal("3.00")
    assert shown["inventory_listed"].value == 35  # acme's last snapshot in January
    # and against December (200.00 revenue, one won, two lost)
    assert shown["revenue"].previous == Decimal("200.00")
    assert shown["revenue"].change == Decimal("250.50")
    assert shown["revenue"].change_percent == Decimal("125.3")
    assert shown["win_rate"].previous == Decimal("0.3333")
    assert response.context["scorecard"]["previous"] == Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    # and the page shows them, with the API's raw values on the tiles
    html = response.content.decode()
    assert 'data-metric="revenue" data-value="450.50"' in html
    assert "+$250.50" in html
    assert "+125.3%" in html
    assert board["stranger"].name not in html
    assert [row["name"] for row in response.context["leaderboard"]] == [
        board["catalogue"].partners[name].name for name in ("acme", "bolt", "cogs")
    ]


def test_all_partners_and_another_managers_partners_on_request(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    tag = board["catalogue"].tag
    # when the manager asks for the other manager's partners
    other = manager_client.get("/", {**JANUARY, "channel_manager": board["other_manager"].email})
    # then only that manager's partners count
    assert other.status_code == 200
    assert [row["partner"] for row in other.context["leaderboard"]] == [board["stranger"].ref]
    assert tiles(other)["revenue"].value == Decimal("9999.00")

    # and "all" has both (alpha may hold other tests' partners, so look at ours)
    everything = manager_client.get("/", {**JANUARY, "channel_manager": "all"})
    refs = {row["partner"] for row in everything.context["leaderboard"]}
    assert board["stranger"].ref in refs
    assert {partner.ref for partner in board["catalogue"].partners.values()} <= refs
    assert tag


def test_an_admin_sees_every_partner_by_default(
    logged_in_client: Callable[..., TenantClient], tenant_a: Any, board: dict[str, Any]
) -> None:
    admin = logged_in_client(tenant_a, "admin")
    response = admin.get("/", JANUARY)
    assert response.status_code == 200
    assert response.context["form"].cleaned_data["channel_manager"] == "all"
    refs = {row["partner"] for row in response.context["leaderboard"]}
    assert board["stranger"].ref in refs


def test_the_tiles_equal_the_metrics_api_summary(
    manager_client: TenantClient,
    board: dict[str, Any],
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
) -> None:
    # given the metrics API over the same partners and period
    api = api_client(tenant_a, scopes=["read"])
    manager = board["catalogue"].manager
    summary = api.get(
        "/api/v1/metrics/summary/", {**JANUARY, "channel_manager": manager.email}
    ).json()

    # when the manager's dashboard shows January
    response = manager_client.get("/", JANUARY)

    # then every tile the API knows has the API's value
    html = response.content.decode()
    compared = 0
    for tile in response.context["scorecard"]["tiles"]:
        if tile.key not in summary:
            continue
        expected = summary[tile.key]
        assert (str(tile.value) if tile.value is not None else None) == (
            str(expected) if expected is not None else None
        ), tile.key
        assert (
            f'data-metric="{tile.key}" data-value="{expected if expected is not None else ""}"'
            in html
        )
        compared += 1
    assert compared >= 20


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"tier": "gold"}, ["acme"]),
        ({"tier": "silver"}, ["bolt"]),
        ({"country": "FR"}, ["bolt"]),
        ({"product": "gadget"}, ["acme", "bolt"]),
        ({"product": "widget"}, ["bolt"]),
    ],
)
def test_filters_narrow_the_partners(
    manager_client: TenantClient,
    board: dict[str, Any],
    filters: dict[str, str],
    expected: list[str],
) -> None:
    catalogue: Catalogue = board["catalogue"]
    values = dict(filters)
    if "tier" in values:
        values["tier"] = board[values["tier"]].slug
    if "product" in values:
        values["product"] = catalogue.sku(values["product"])
    response = manager_client.get("/", {**JANUARY, **values})
    assert response.status_code == 200
    assert sorted(row["partner"] for row in response.context["leaderboard"]) == sorted(
        catalogue.ref(name) for name in expected
    )


def test_breakdowns_by_tier_country_product_and_channel(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    catalogue: Catalogue = board["catalogue"]
    response = manager_client.get("/", JANUARY)
    tables = {item["key"]: item["rows"] for item in response.context["breakdowns"]}

    by_tier = {row["label"]: (row["revenue"], row["partners"]) for row in tables["tier"]}
    assert by_tier == {
        board["gold"].name: (Decimal("400.00"), 1),
        board["silver"].name: (Decimal("50.50"), 1),
        "No tier": (Decimal("0.00"), 1),
    }
    by_country = {row["label"]: row["orders_won"] for row in tables["country"]}
    assert by_country == {"United Kingdom": 3, "France": 1, "No country": 0}
    # bolt carries both products, so it counts under each
    by_product = {row["key"]: row["revenue"] for row in tables["product"]}
    assert by_product == {
        catalogue.sku("gadget"): Decimal("450.50"),
        catalogue.sku("widget"): Decimal("50.50"),
        "": Decimal("0.00"),
    }
    assert response.context["channel_split"] == [
        {"key": "online_store", "label": "Online direct store", "items": 3},
        {"key": "display_shelf", "label": "Display shelf", "items": 1},
        {"key": "other", "label": "Direct and other", "items": 4},
    ]
    # every chart has a table with the same numbers
    html = response.content.decode()
    for chart in [*response.context["scorecard"]["charts"], *response.context["breakdown_charts"]]:
        assert f'data-chart="{chart["data_id"]}"' in html
        assert f"Table of “{chart['title']}”" in html


def test_the_charts_sum_the_partners_per_day(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    response = manager_client.get("/", JANUARY)
    series = response.context["scorecard"]["series"]
    assert len(series) == 31
    by_day = {row["start"]: row for row in series}
    assert by_day[date(2026, 1, 5)]["revenue"] == Decimal("300.00")
    assert by_day[date(2026, 1, 10)]["calls_received"] == 6
    assert by_day[date(2026, 1, 12)]["contacts_generated"] == 5
    assert by_day[date(2026, 1, 2)]["orders_won"] == 0
    revenue_chart = response.context["scorecard"]["charts"][0]
    assert revenue_chart["config"]["datasets"][0]["data"][4] == 300.0


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-revenue", ["acme", "bolt", "cogs"]),
        ("revenue", ["cogs", "bolt", "acme"]),
        ("-name", ["cogs", "bolt", "acme"]),
        ("-contacts_generated", ["cogs", "acme", "bolt"]),
        # cogs has no win rate (nothing closed): last either way
        ("win_rate", ["bolt", "acme", "cogs"]),
        ("-win_rate", ["acme", "bolt", "cogs"]),
    ],
)
def test_the_leaderboard_sorts(
    manager_client: TenantClient, board: dict[str, Any], sort: str, expected: list[str]
) -> None:
    catalogue: Catalogue = board["catalogue"]
    response = manager_client.get("/", {**JANUARY, "sort": sort})
    assert [row["partner"] for row in response.context["leaderboard"]] == [
        catalogue.ref(name) for name in expected
    ]
    assert f'aria-sort="{"descending" if sort.startswith("-") else "ascending"}"' in (
        response.content.decode()
    )


def test_bad_filters_are_explained_not_a_server_error(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    response = manager_client.get("/", {"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 400
    assert "The last day is before the first day." in response.content.decode()

    response = manager_client.get("/", {"from": "2026-13-01", "to": "2026-01-01"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()

    response = manager_client.get("/", {"tier": "no-such-tier", "sort": "-revenue"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()

    response = manager_client.get("/dashboard/live/", {"from": "2026-02-01", "to": "x"})
    assert response.status_code == 400


def test_sla_breaches_of_the_partners_are_listed(
    manager_client: TenantClient, board: dict[str, Any], tenant_a: Any
) -> None:
    catalogue: Catalogue = board["catalogue"]
    with tenant_schema(tenant_a):
        acme = catalogue.partners["acme"]
        request = partner_request_open(partner=acme, subject="Broken widget feed")
        type(request).objects.filter(pk=request.pk).update(first_response_state="breached")
        SlaEvent.objects.create(
            partner=acme,
            request=request,
            clock="first_response",
            kind=EventKind.BREACHED,
            occurred_at=datetime(2026, 1, 20, 12, tzinfo=ZoneInfo("UTC")),
        )
        SlaEvent.objects.create(
            partner=board["stranger"],
            kind=EventKind.MINIMUM_MISSED,
            month=date(2026, 1, 1),
            target="min_monthly_revenue",
            occurred_at=datetime(2026, 1, 21, 12, tzinfo=ZoneInfo("UTC")),
        )
    response = manager_client.get("/", JANUARY)
    sla = response.context["sla"]
    assert sla["open_count"] == 1
    assert [item.subject for item in sla["open"]] == ["Broken widget feed"]
    assert sla["event_count"] == 1  # the other manager's partner is not in view
    assert "Broken widget feed" in response.content.decode()
    # and the headline counts the period's breaches
    assert tiles(response)["sla_breaches"].value == 1
    assert 'data-metric="sla_breaches" data-value="1"' in response.content.decode()

    february = manager_client.get("/", {"from": "2026-02-01", "to": "2026-02-28"})
    assert february.context["sla"]["event_count"] == 0
    # (against Jan 4 - 31, which had acme's: one fewer, which is good)
    breaches = tiles(february)["sla_breaches"]
    assert (breaches.value, breaches.previous, breaches.is_good) == (0, 1, True)


def test_the_page_costs_the_same_queries_for_three_partners_or_thirty(
    manager_client: TenantClient,
    board: dict[str, Any],
    tenant_a: Any,
    alpha_api: TenantClient,
    fold: Callable[[], int],
) -> None:
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get("/", JANUARY).status_code == 200
    with tenant_schema(tenant_a):
        more = [
            PartnerFactory.create(channel_manager=board["catalogue"].manager) for _ in range(27)
        ]
    ingest(
        alpha_api,
        orders=[won(f"m{n}", p.ref, "2026-01-03", f"{n}.00") for n, p in enumerate(more)],
    )
    fold()
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get("/", JANUARY)
    assert response.context["leaderboard_total"] == 30
    assert len(many.captured_queries) == len(few.captured_queries)
    # and the page never reads raw activity
    assert not any(
        table in query["sql"]
        for query in many.captured_queries
        for table in ('"reporting_order"', '"reporting_call"', '"reporting_lead"')
    )


# --- live -------------------------------------------------------------------------------


def test_the_live_fragment_answers_204_until_the_rollups_change(
    manager_client: TenantClient,
    board: dict[str, Any],
    alpha_api: TenantClient,
    fold: Callable[[], int],
) -> None:
    # given the dashboard as shown, with its freshness token
    page = manager_client.get("/", JANUARY)
    token = page.context["token"]
    assert f"since={token}" in page.context["live_url"].replace("%3A", ":").replace("%2B", "+")

    # when the fragment is polled with it, nothing has changed
    unchanged = manager_client.get("/dashboard/live/", {**JANUARY, "since": token})
    assert unchanged.status_code == 204

    # when an order arrives, the fragment comes back at once: an update is on the way
    cogs = board["catalogue"].ref("cogs")
    ingest(alpha_api, orders=[won("late", cogs, "2026-01-30", "7.00")])
    waiting = manager_client.get("/dashboard/live/", {**JANUARY, "since": token})
    assert waiting.status_code == 200
    assert waiting.context["freshness"]["pending"] == 1
    assert "1 update on the way" in waiting.content.decode()

    # and when the fold lands, it comes back with the new numbers and a new token
    fold()
    changed = manager_client.get("/dashboard/live/", {**JANUARY, "since": waiting.context["token"]})
    assert changed.status_code == 200
    assert changed.context["token"] not in (token, waiting.context["token"])
    assert tiles(changed)["revenue"].value == Decimal("457.50")
    # and polling with the new token is quiet again
    quiet = manager_client.get("/dashboard/live/", {**JANUARY, "since": changed.context["token"]})
    assert quiet.status_code == 204
    html = changed.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-live"')
    assert "<html" not in html


# --- exports ----------------------------------------------------------------------------


def test_the_metrics_csv_has_one_row_per_partner_with_every_metric(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    catalogue: Catalogue = board["catalogue"]
    response = manager_client.get("/dashboard/export/metrics.csv", JANUARY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="alpha-dashboard-metrics-2026-01-01_2026-01-31.csv"'
    )
    rows = {row["partner"]: row for row in rows_of(response)}
    assert set(rows) == {partner.ref for partner in catalogue.partners.values()}
    acme = rows[catalogue.ref("acme")]
    assert (acme["revenue"], acme["orders_won"], acme["win_rate"]) == ("400.00", "3", "0.7500")
    assert acme["avg_order_value"] == "133.33"
    assert rows[catalogue.ref("cogs")]["avg_order_value"] == ""  # a division by zero


@pytest.mark.parametrize(
    ("table", "first_column", "count"),
    [
        ("leaderboard", "rank", 3),
        ("tiles", "metric", 27),
        ("series", "interval", 31),
        ("tier", "key", 3),
        ("country", "key", 3),
        ("product", "key", 3),
        ("channel", "channel", 3),
    ],
)
def test_every_dashboard_table_downloads(
    manager_client: TenantClient,
    board: dict[str, Any],
    table: str,
    first_column: str,
    count: int,
) -> None:
    response = manager_client.get(f"/dashboard/export/{table}.csv", JANUARY)
    assert response.status_code == 200
    assert f"dashboard-{table}-2026-01-01_2026-01-31.csv" in response["Content-Disposition"]
    rows = rows_of(response)
    assert len(rows) == count
    assert next(iter(rows[0])) == first_column


def test_the_tiles_csv_has_the_comparison(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    rows = {
        row["metric"]: row
        for row in rows_of(manager_client.get("/dashboard/export/tiles.csv", JANUARY))
    }
    assert rows["revenue"]["value"] == "450.50"
    assert rows["revenue"]["previous"] == "200.00"
    assert rows["revenue"]["change"] == "250.50"
    assert rows["revenue"]["change_percent"] == "125.3"
    assert rows["revenue"]["previous_from"] == "2025-12-01"


def test_exports_refuse_unknown_tables_and_bad_periods(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    assert manager_client.get("/dashboard/export/secrets.csv").status_code == 404
    bad = manager_client.get(
        "/dashboard/export/metrics.csv", {"from": "2026-01-31", "to": "2026-01-01"}
    )
    assert bad.status_code == 400
    assert "The last day is before the first day." in bad.content.decode()


def test_the_activity_csv_follows_kind_partner_and_period(
    manager_client: TenantClient,
    alpha_catalogue: Catalogue,
    alpha_api: TenantClient,
    tenant_a: Any,
) -> None:
    acme, bolt = alpha_catalogue.ref("acme"), alpha_catalogue.ref("bolt")
    accepted(
        send(
            alpha_api,
            "orders",
            [
                order(
                    "x-1", acme, ordered_at="2026-01-10T10:00:00Z", closed_at="2026-01-11T10:00:00Z"
                ),
                order(
                    "x-2", acme, ordered_at="2026-02-10T10:00:00Z", closed_at="2026-02-11T10:00:00Z"
                ),
                order(
                    "x-3", bolt, ordered_at="2026-01-12T10:00:00Z", closed_at="2026-01-13T10:00:00Z"
                ),
            ],
        )
    )
    response = manager_client.get(
        "/activity/export/", {"kind": "orders", "partner": acme, **JANUARY}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="alpha-orders-{acme}-2026-01-01_2026-01-31.csv"'
    )
    rows = rows_of(response, tenant_a)
    assert [row["external_id"] for row in rows] == ["x-1"]
    assert rows[0]["partner"] == acme

    everything = rows_of(manager_client.get("/activity/export/", {"kind": "orders"}), tenant_a)
    assert {"x-1", "x-2", "x-3"} <= {row["external_id"] for row in everything}

    assert manager_client.get("/activity/export/", {"kind": "secrets"}).status_code == 400
    bad = manager_client.get("/activity/export/", {"kind": "calls", "from": "2026-01-40"})
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()


def test_csv_cells_never_run_as_formulas() -> None:
    assert cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert cell("@SUM(A1)") == "'@SUM(A1)"
    assert cell("-12.50") == "-12.50"
    assert cell(None) == ""
    assert cell(date(2026, 1, 2)) == "2026-01-02"


# --- access -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/dashboard/live/", "/dashboard/export/metrics.csv", "/activity/export/"]
)
def test_partner_users_and_strangers_get_no_dashboard(
    alpha_partner: TenantClient, client_a: TenantClient, url: str
) -> None:
    assert alpha_partner.get(url).status_code == 403
    stranger = client_a.get(url)
    assert stranger.status_code == 302
    assert stranger["Location"].startswith("/accounts/login/")


def test_a_partner_user_at_home_goes_to_the_portal_or_sees_no_dashboard(
    alpha_partner: TenantClient,
) -> None:
    from django.urls import NoReverseMatch, reverse

    response = alpha_partner.get("/")
    try:
        portal = reverse("portal:home")
    except NoReverseMatch:
        assert response.status_code == 200
        assert "scorecard" not in response.context
        assert "dashboard-live" not in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == portal


# --- the partner page -------------------------------------------------------------------


def test_the_partner_page_has_its_scorecard_last_orders_and_activity_links(
    manager_client: TenantClient, board: dict[str, Any], alpha_api: TenantClient
) -> None:
    catalogue: Catalogue = board["catalogue"]
    acme = catalogue.ref("acme")
    # given twelve more orders of acme in February (only the last ten are listed)
    ingest(
        alpha_api,
        orders=[won(f"feb-{n:02d}", acme, f"2026-02-{n + 1:02d}", "1.00") for n in range(12)],
    )

    # when its page is opened for January
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(f"/partners/{acme}/", JANUARY)

    # then the tiles are acme's January against its December
    assert response.status_code == 200
    shown = tiles(response)
    assert "partners_sold" not in shown
    assert shown["revenue"].value == Decimal("400.00")
    assert shown["revenue"].previous == Decimal("200.00")
    assert shown["win_rate"].value == Decimal("0.7500")
    assert shown["calls_made"].value == 4
    assert shown["inventory_listed"].value == 35
    html = response.content.decode()
    assert 'data-metric="revenue" data-value="400.00"' in html
    assert "Table of “Calls made and received”" in html
    # and the last ten orders, newest first, from one LIMITed read
    orders = [order.external_id for order in response.context["last_orders"]]
    assert orders == [f"feb-{n:02d}" for n in range(11, 1, -1)]
    order_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "reporting_order"' in q["sql"]
    ]
    assert len(order_reads) == 1
    assert "LIMIT 10" in order_reads[0]
    # and links to its calls, contacts and orders, and their CSV for the period
    assert f"kind=calls&amp;partner={acme}" in html
    assert f"/activity/export/?kind=contacts&amp;partner={acme}&amp;from=2026-01-01" in html


def test_the_partner_page_defaults_to_the_last_30_days_and_explains_a_bad_period(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    acme = board["catalogue"].ref("acme")
    response = manager_client.get(f"/partners/{acme}/")
    assert response.status_code == 200
    period = response.context["scorecard"]["period"]
    assert period.days == 30

    bad = manager_client.get(f"/partners/{acme}/", {"from": "2026-01-31", "to": "2026-01-01"})
    assert bad.status_code == 200
    assert bad.context["scorecard"] is None
    assert "The last day is before the first day." in bad.content.decode()


def test_the_activity_page_offers_its_csv(
    manager_client: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # (the activity page's filters: tests/reporting/test_activity_pages.py)
    acme = alpha_catalogue.ref("acme")
    html = manager_client.get("/activity/", {"kind": "calls", "partner": acme}).content.decode()
    link = html.split('id="activity-export"')[0].rsplit("<a ", 1)[1]
    href = link.split('href="')[1].split('"')[0].replace("&amp;", "&")
    path, _, query = href.partition("?")
    assert path == "/activity/export/"
    asked = parse_qs(query)
    assert asked["kind"] == ["calls"]
    assert asked["partner"] == [acme]


def test_the_live_fragment_follows_changes_to_the_partners(
    manager_client: TenantClient, board: dict[str, Any], tenant_a: Any
) -> None:
    # given the dashboard as shown
    token = manager_client.get("/", JANUARY).context["token"]
    assert manager_client.get("/dashboard/live/", {**JANUARY, "since": token}).status_code == 204

    # when acme moves to the silver tier (no activity, no fold)
    with tenant_schema(tenant_a):
        acme = board["catalogue"].partners["acme"]
        acme.tier = board["silver"]
        acme.save()
    changed = manager_client.get("/dashboard/live/", {**JANUARY, "since": token})

    # then the fragment comes back, acme's revenue under silver
    assert changed.status_code == 200
    by_tier = {item["key"]: item["rows"] for item in changed.context["breakdowns"]}["tier"]
    assert {row["label"]: row["revenue"] for row in by_tier}[board["silver"].name] == Decimal(
        "450.50"
    )


# --- reading the dashboard: hierarchy, money, dates, sort labels, year over year --------------


@pytest.fixture
def alpha_reads(tenant_a: Any) -> Iterator[Callable[[str, str], None]]:
    """Let alpha read its numbers in another currency and locale for one test; its own
    are put back afterwards (save() also drops the cached tenant of its hosts)."""
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    before = (tenant.currency, tenant.locale)

    def read_in(currency: str, locale: str) -> None:
        tenant.currency, tenant.locale = currency, locale
        tenant.save(update_fields=["currency", "locale"])

    yield read_in
    read_in(*before)


def test_the_headline_row_comes_first_and_the_rest_is_grouped(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    # when the manager opens the dashboard for January
    response = manager_client.get("/", JANUARY)

    # then the headline has the six figures a manager reads first, the SLA breaches too
    card = response.context["scorecard"]
    assert [tile.key for tile in card["headline"]] == [
        "revenue",
        "orders_won",
        "win_rate",
        "avg_order_value",
        "partners_sold",
        "sla_breaches",
    ]
    # and every other tile is under its group's heading, each tile once
    assert [group["title"] for group in card["groups"]] == [
        "Sales",
        "Calls",
        "Contacts",
        "Items and inventory",
        "Partners",
    ]
    grouped = [tile.key for group in card["groups"] for tile in group["tiles"]]
    assert sorted(grouped + [tile.key for tile in card["headline"]]) == sorted(
        [*TILES_BY_KEY, "sla_breaches"]
    )
    assert {
        tile.key for group in card["groups"] if group["key"] == "calls" for tile in group["tiles"]
    } == {
        "calls_made",
        "calls_received",
        "channel_calls",
        "call_seconds",
    }
    # and the page draws the headline heavier, the groups with their headings
    html = response.content.decode()
    assert html.count("prm-tile prm-tile-headline") == 6
    for group in card["groups"]:
        assert f'id="tiles-{group["key"]}-heading">{group["title"]}</h3>' in html


def test_money_shows_the_currency_with_thousands_separators(
    manager_client: TenantClient, board: dict[str, Any], alpha_reads: Any
) -> None:
    other = {**JANUARY, "channel_manager": board["other_manager"].email}

    # given the tenant's own reading (USD, en_US): the other manager's 9,999.00
    usd = manager_client.get("/", other).content.decode()
    assert '<div class="fw-bold prm-tile-value">$9,999.00</div>' in usd

    # when the tenant reads in euros, the German way
    alpha_reads("EUR", "de_DE")
    response = manager_client.get("/", other)

    # then every amount on the page carries the euro sign and German separators:
    # the tiles, their change, the leaderboard, the breakdowns and the charts' tables
    html = response.content.decode()
    euros = "9.999,00\xa0€"
    assert f'<div class="fw-bold prm-tile-value">{euros}</div>' in html
    assert f"+{euros}" in html  # against nothing in December
    leaderboard = html.split('id="leaderboard"')[1].split("</table>")[0]
    assert f'<td class="prm-num">{euros}</td>' in leaderboard
    by_tier = html.split('id="breakdown-tier-table"')[1].split("</table>")[0]
    assert f'<td class="prm-num">{euros}</td>' in by_tier
    # and the charts' days are German too (one format for days: CLDR's medium date)
    revenue_chart = html.split('id="chart-revenue-panel-box"')[1].split("</table>")[0]
    assert f'<th scope="row" class="fw-normal">15.01.2026</th><td class="prm-num">{euros}</td>' in (
        revenue_chart
    )
    assert "9999.00" not in html.replace('data-value="9999.00"', "").replace(
        'data-previous="9999.00"', ""
    )
    # and the CSV stays raw data
    tiles_csv = {
        row["metric"]: row
        for row in rows_of(manager_client.get("/dashboard/export/tiles.csv", other))
    }
    assert tiles_csv["revenue"]["value"] == "9999.00"


def test_the_period_line_uses_one_format_for_days_and_one_for_moments(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    response = manager_client.get("/", JANUARY)
    line = response.content.decode().split('id="dashboard-freshness"')[1].split("</p>")[0]
    assert "Jan 1\u2009\u2013\u200931, 2026</strong> (31 days)" in line
    assert (
        'compared with <span id="dashboard-compared">Dec 1\u2009\u2013\u200931, 2025</span>' in line
    )
    as_of = line.split('id="dashboard-as-of"')[1].split("</time>")[0]
    assert formats.moment(response.context["freshness"]["as_of"]) in as_of


@pytest.fixture
def alpha_zone(tenant_a: Any) -> Iterator[Callable[[str], None]]:
    """Let alpha's days and times be another zone's for one test; put back afterwards."""
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    before = tenant.time_zone

    def move_to(zone: str) -> None:
        tenant.time_zone = zone
        tenant.save(update_fields=["time_zone"])

    yield move_to
    move_to(before)


def test_the_dashboard_shows_its_times_in_a_new_time_zone_at_once(
    manager_client: TenantClient, board: dict[str, Any], alpha_zone: Any
) -> None:
    # given the dashboard read once (its numbers are cached until the rollups change)
    first = manager_client.get("/", JANUARY)
    as_of = first.context["freshness"]["as_of"]
    assert as_of is not None

    # when the administrator moves the tenant to another time zone, nothing else
    alpha_zone("Pacific/Auckland")
    html = manager_client.get("/", JANUARY).content.decode()

    # then "Numbers as of" is written in the new zone, not served from the old page
    shown = html.split('id="dashboard-as-of"')[1].split("</time>")[0]
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        assert formats.moment(as_of) in shown


@pytest.mark.parametrize(
    ("sort", "label"),
    [
        ("-revenue", "Partners by revenue, highest first"),
        ("revenue", "Partners by revenue, lowest first"),
        ("-orders_won", "Partners by won orders, highest first"),
        ("-avg_order_value", "Partners by average order value, highest first"),
        ("win_rate", "Partners by win rate, lowest first"),
        ("name", "Partners by name, A to Z"),
        ("-name", "Partners by name, Z to A"),
    ],
)
def test_the_leaderboard_says_how_it_is_sorted_in_words(
    manager_client: TenantClient, board: dict[str, Any], sort: str, label: str
) -> None:
    # when the manager sorts the leaderboard
    response = manager_client.get("/", {**JANUARY, "sort": sort})

    # then its heading and caption say so in words, never the internal key
    html = response.content.decode()
    assert sort_label(sort) == label
    assert f'<span class="fw-normal text-secondary" id="leaderboard-sort">· {label}</span>' in html
    assert f"{label}; choose a column heading to sort by it." in html
    assert f"Partners by {sort};" not in html


def test_the_year_presets_compare_with_the_year_before(
    manager_client: TenantClient, board: dict[str, Any], tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        today = tenant_today()
    try:
        a_year_ago = today.replace(year=today.year - 1)
    except ValueError:  # Feb 29
        a_year_ago = today.replace(year=today.year - 1, day=28)

    # when the manager picks "This year", then "Last year"
    this_year = manager_client.get("/", {"period": "year"})
    last_year = manager_client.get("/", {"period": "last_year"})

    # then this year so far is compared with the same days of last year
    assert this_year.context["scorecard"]["previous"] == Period(
        date(today.year - 1, 1, 1), a_year_ago
    )
    # and last year with the whole year before it, as the page says
    assert last_year.context["scorecard"]["period"] == Period(
        date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    )
    assert last_year.context["scorecard"]["previous"] == Period(
        date(today.year - 2, 1, 1), date(today.year - 2, 12, 31)
    )
    year_before = f"Jan 1\u2009\u2013\u2009Dec 31, {today.year - 2}"
    assert f'compared with <span id="dashboard-compared">{year_before}</span>' in (
        last_year.content.decode()
    )
    # and the tiles CSV names the same comparison
    rows = rows_of(manager_client.get("/dashboard/export/tiles.csv", {"period": "last_year"}))
    assert {(row["previous_from"], row["previous_to"]) for row in rows} == {
        (f"{today.year - 2}-01-01", f"{today.year - 2}-12-31")
    }


def test_every_id_on_the_dashboard_is_unique(
    manager_client: TenantClient, board: dict[str, Any]
) -> None:
    # (the live refresh finds open panels and scrolled boxes again by their ids)
    html = manager_client.get("/", JANUARY).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert ids
    assert [name for name, count in ids.items() if count > 1] == []
