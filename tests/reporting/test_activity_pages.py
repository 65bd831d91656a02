"""The staff activity pages' filters: a partner found by name or ref (and saying so
when none is), the tenant's days, an order's status, a call's direction and
counterpart; partner names link to their pages; the filters stay in the tabs, the
pages and the CSV download."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

import pytest

from partners.models import Partner
from reporting.ingest import ingest
from tests.conftest import TenantClient, tenant_schema
from tests.factories import PartnerFactory
from tests.reporting.activity import call, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def partners(tenant_a: Any) -> dict[str, Any]:
    """Northwind Secure (ref nw-secure), Northwind Traders (nw-traders) and Contoso
    (contoso), with orders and calls."""
    with tenant_schema(tenant_a):
        made = {
            "secure": PartnerFactory.create(ref="nw-secure", name="Northwind Secure"),
            "traders": PartnerFactory.create(ref="nw-traders", name="Northwind Traders"),
            "contoso": PartnerFactory.create(ref="contoso", name="Contoso"),
        }
        result = ingest(
            kind="orders",
            rows=[
                order("o-secure-won", "nw-secure", ordered_at="2026-01-10T15:00:00Z"),
                order(
                    "o-secure-open", "nw-secure", status="open", ordered_at="2026-01-20T15:00:00Z"
                ),
                order(
                    "o-traders-lost", "nw-traders", status="lost", ordered_at="2026-01-12T15:00:00Z"
                ),
                order("o-contoso-won", "contoso", ordered_at="2026-01-11T15:00:00Z"),
            ],
        )
        assert not result.errors, result.errors
        result = ingest(
            kind="calls",
            rows=[
                call("c-made-customer", "nw-secure", occurred_at="2026-01-10T15:00:00Z"),
                call(
                    "c-received-team",
                    "nw-secure",
                    direction="received",
                    counterpart="channel_team",
                    occurred_at="2026-01-11T15:00:00Z",
                ),
                call("c-received-customer", "contoso", direction="received"),
            ],
        )
        assert not result.errors, result.errors
    return made


def listed(response: Any) -> list[str]:
    """The external ids on the page, in order."""
    assert response.status_code == 200
    return re.findall(r"<td><code>([^<]+)</code></td>", response.content.decode())


def test_a_name_that_matches_no_partner_says_so_instead_of_no_orders_yet(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    # when a manager filters by a name no partner has
    response = alpha_manager.get("/activity/", {"kind": "orders", "partner": "Fabrikam Cloud"})
    # then the page says there is no such partner, not that there are no orders
    page = unescape(response.content.decode())
    assert listed(response) == []
    assert "No partner named “Fabrikam Cloud”" in page
    assert "No orders yet." not in page


def test_a_partner_is_found_by_its_name_or_its_ref_and_links_to_its_page(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    # when a manager types a partner's whole name, in another case, or its ref
    by_name = alpha_manager.get("/activity/", {"partner": "northwind secure"})
    by_ref = alpha_manager.get("/activity/", {"partner": "NW-SECURE"})
    # then only that partner's orders are listed, newest first, its name a link
    assert listed(by_name) == listed(by_ref) == ["o-secure-open", "o-secure-won"]
    assert '<a href="/partners/nw-secure/">Northwind Secure</a>' in by_name.content.decode()
    # and "Log a call" is for that partner
    assert 'href="/activity/calls/new/?partner=nw-secure"' in by_name.content.decode()


def test_part_of_a_name_lists_every_partner_it_matches_and_names_them(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    # when a manager types part of a name two partners share
    response = alpha_manager.get("/activity/", {"partner": "northwind"})
    # then both partners' orders are listed, and the page says which partners match
    assert set(listed(response)) == {"o-secure-open", "o-secure-won", "o-traders-lost"}
    page = unescape(response.content.decode())
    assert "2 partners match “northwind”" in page


def test_the_partner_picker_offers_the_partners_the_user_may_see(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    page = alpha_manager.get("/activity/").content.decode()
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page.split("<datalist")[1])
    assert ("nw-secure", "Northwind Secure") in options
    assert ("contoso", "Contoso") in options


def test_orders_are_filtered_by_status_and_the_tenants_days(
    new_york_alpha: Any, alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    # when a manager asks for won orders of 10 to 11 January
    won = alpha_manager.get(
        "/activity/", {"kind": "orders", "status": "won", "from": "2026-01-10", "to": "2026-01-11"}
    )
    # then those are listed (15:00 UTC is 10:00 in New York, the tenant's zone)
    assert listed(won) == ["o-contoso-won", "o-secure-won"]
    # and a day is the tenant's: 10 January in New York ends at 05:00 UTC on the 11th
    first_day = alpha_manager.get("/activity/", {"to": "2026-01-10"})
    assert listed(first_day) == ["o-secure-won"]
    assert listed(alpha_manager.get("/activity/", {"status": "lost"})) == ["o-traders-lost"]


def test_calls_are_filtered_by_direction_and_counterpart(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    received = alpha_manager.get("/activity/", {"kind": "calls", "direction": "received"})
    assert set(listed(received)) == {"c-received-team", "c-received-customer"}
    team = alpha_manager.get(
        "/activity/", {"kind": "calls", "direction": "received", "counterpart": "channel_team"}
    )
    assert listed(team) == ["c-received-team"]
    # and filters that leave nothing say so
    empty = alpha_manager.get(
        "/activity/", {"kind": "calls", "partner": "contoso", "counterpart": "channel_team"}
    )
    assert listed(empty) == []
    assert "No calls match these filters." in empty.content.decode()


def test_the_filters_stay_in_the_pages_the_tabs_and_the_csv_download(
    alpha_manager: TenantClient, partners: dict[str, Any], tenant_a: Any
) -> None:
    # given 55 more won orders of Northwind Secure in January (two pages)
    with tenant_schema(tenant_a):
        result = ingest(
            kind="orders",
            rows=[
                order(
                    f"o-more-{n:02d}", "nw-secure", ordered_at=f"2026-01-{n % 28 + 1:02d}T12:00:00Z"
                )
                for n in range(55)
            ],
        )
        assert not result.errors
    filters = {
        "partner": "Northwind Secure",
        "status": "won",
        "from": "2026-01-01",
        "to": "2026-01-31",
    }
    # when the first page is shown
    response = alpha_manager.get("/activity/", {"kind": "orders", **filters})
    page = unescape(response.content.decode())
    kept = "partner=Northwind+Secure&status=won&from=2026-01-01&to=2026-01-31"
    # then the next page, the CSV and the other tabs keep the filters (tabs: not the status)
    assert f'href="?kind=orders&{kept}&page=2"' in page
    assert f'href="/activity/export/?kind=orders&{kept}"' in page
    assert 'href="?kind=calls&partner=Northwind+Secure&from=2026-01-01&to=2026-01-31"' in page
    # and the second page holds the rest of the same rows
    second = alpha_manager.get("/activity/", {"kind": "orders", **filters, "page": "2"})
    assert len(listed(response)) == 50
    assert len(listed(second)) == 6
    # and the CSV has every one of them, named after the partner and the days
    export: Any = alpha_manager.get("/activity/export/", {"kind": "orders", **filters})
    assert export["Content-Disposition"] == (
        'attachment; filename="alpha-orders-nw-secure-2026-01-01_2026-01-31.csv"'
    )
    with tenant_schema(tenant_a):
        body = b"".join(export.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 56
    assert {row["status"] for row in rows} == {"won"}
    assert {row["partner"] for row in rows} == {"nw-secure"}


def test_a_bad_filter_is_explained_on_the_page_and_in_the_download(
    alpha_manager: TenantClient, partners: dict[str, Any]
) -> None:
    # when the days are the wrong way round, or the status is not one
    response = alpha_manager.get("/activity/", {"from": "2026-01-31", "to": "2026-01-01"})
    # then the page says what to fix and lists nothing
    assert "The last day is before the first day." in response.content.decode()
    assert listed(response) == []
    export = alpha_manager.get("/activity/export/", {"kind": "orders", "status": "maybe"})
    assert export.status_code == 400
    assert "status: Select a valid choice." in export.content.decode()


def test_a_partner_user_gets_no_staff_activity_page(alpha_partner: TenantClient) -> None:
    assert alpha_partner.get("/activity/", {"partner": "nw-secure"}).status_code == 403


def test_the_portal_lists_filter_the_partners_own_rows_and_keep_the_filters(
    alpha_partner: TenantClient, partners: dict[str, Any], tenant_a: Any
) -> None:
    # given the portal user's partner with calls both ways, and another partner's calls
    with tenant_schema(tenant_a):
        own = Partner.objects.get(users__user=alpha_partner.user)
        result = ingest(
            kind="calls",
            rows=[
                call("own-made", own.ref, occurred_at="2026-01-05T15:00:00Z"),
                call(
                    "own-received",
                    own.ref,
                    direction="received",
                    occurred_at="2026-01-06T15:00:00Z",
                ),
                call(
                    "own-received-late",
                    own.ref,
                    direction="received",
                    occurred_at="2026-02-06T15:00:00Z",
                ),
            ],
        )
        assert not result.errors
    filters = {"direction": "received", "from": "2026-01-01", "to": "2026-01-31"}
    # when the user filters its calls
    response = alpha_partner.get("/portal/calls/", filters)
    page = unescape(response.content.decode())
    # then only its own received calls of January are listed
    assert response.status_code == 200
    assert "own-received<" in page
    for other in ("own-made", "own-received-late", "c-received-team", "c-received-customer"):
        assert other not in page
    # and the CSV link keeps the filters, and the CSV follows them
    assert 'href="/portal/calls/export/?direction=received&from=2026-01-01&to=2026-01-31"' in page
    export: Any = alpha_partner.get("/portal/calls/export/", filters)
    with tenant_schema(tenant_a):
        body = b"".join(export.streaming_content).decode()
    assert [row["external_id"] for row in csv.DictReader(io.StringIO(body))] == ["own-received"]
    # and a filter left with nothing says so
    empty = alpha_partner.get("/portal/orders/", {"status": "lost"})
    assert "No orders match these filters." in empty.content.decode()


def test_log_a_call_without_any_partner_says_to_add_one_first(
    alpha_manager: TenantClient, tenant_a: Any
) -> None:
    # given no partner in alpha (the test's transaction has made none)
    # when a manager opens "Log a call"
    page = alpha_manager.get("/activity/calls/new/").content.decode()
    # then the form says there is no partner to log for, and where to add one
    assert "There are no partners yet" in page
    assert 'href="/partners/new/"' in page
    # and once there is one, it is offered instead
    with tenant_schema(tenant_a):
        PartnerFactory.create(ref="first", name="First Partner")
    page = alpha_manager.get("/activity/calls/new/").content.decode()
    assert "There are no partners yet" not in page
    assert '<option value="first">First Partner (first)</option>' in page


def test_a_text_many_partners_share_names_five_and_counts_the_rest(
    alpha_manager: TenantClient, partners: dict[str, Any], tenant_a: Any
) -> None:
    # given five more Northwind partners (seven in all)
    with tenant_schema(tenant_a):
        for n in range(5):
            PartnerFactory.create(ref=f"nw-{n}", name=f"Northwind Branch {n}")
    # when a manager filters by "northwind"
    page = unescape(alpha_manager.get("/activity/", {"partner": "northwind"}).content.decode())
    # then the page names the first five by name and counts the other two
    assert "7 partners match “northwind”" in page
    assert "and 2 more." in page
    assert 'href="/activity/calls/new/"' in page
