"""GET /api/v1/metrics/{partners,partners/<ref>/series,summary,status}/: periods with
both days inclusive, buckets with the empty ones present, the tenant summary, freshness,
who may read, and nothing of another tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from partners.models import StatusChange
from partners.services import partner_transition
from reporting.models import PendingRollup
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.factories import PartnerFactory
from tests.reporting.activity import accepted, contact, order, send
from tests.reporting.conftest import Catalogue, make_catalogue

METRICS = "/api/v1/metrics/"


def series_url(ref: str) -> str:
    return f"{METRICS}partners/{ref}/series/"


@pytest.fixture
def winter(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> Catalogue:
    """acme won 100.00 on 15 Jan, 50.25 on 20 Jan and 30.00 on 2 Mar 2026 (nothing in
    February); bolt won 10.00 on 16 Jan; cogs lost one on 17 Jan."""
    acme, bolt, cogs = (alpha_catalogue.ref(name) for name in ("acme", "bolt", "cogs"))
    rows = [
        order(
            "w-1",
            acme,
            amount="100.00",
            ordered_at="2026-01-15T08:00:00Z",
            closed_at="2026-01-15T09:00:00Z",
        ),
        order(
            "w-2",
            acme,
            amount="50.25",
            ordered_at="2026-01-19T08:00:00Z",
            closed_at="2026-01-20T09:00:00Z",
        ),
        order(
            "w-3",
            acme,
            amount="30.00",
            ordered_at="2026-03-02T08:00:00Z",
            closed_at="2026-03-02T09:00:00Z",
        ),
        order(
            "w-4",
            bolt,
            amount="10.00",
            ordered_at="2026-01-16T08:00:00Z",
            closed_at="2026-01-16T09:00:00Z",
        ),
        order(
            "w-5",
            cogs,
            status="lost",
            amount="70.00",
            ordered_at="2026-01-17T08:00:00Z",
            closed_at="2026-01-17T09:00:00Z",
        ),
    ]
    leads = [
        contact("w-l1", acme, created_at="2026-01-15T10:00:00Z"),
        contact("w-l2", bolt, created_at="2026-01-16T10:00:00Z"),
        contact("w-l3", bolt, created_at="2026-01-18T10:00:00Z"),
        contact("w-l4", cogs, created_at="2026-02-18T10:00:00Z"),
    ]
    accepted(send(alpha_api, "orders", rows))
    accepted(send(alpha_api, "contacts", leads))
    fold()
    return alpha_catalogue


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({}, {"from": ["Give from=YYYY-MM-DD."], "to": ["Give to=YYYY-MM-DD."]}),
        ({"from": "2026-01-01"}, {"to": ["Give to=YYYY-MM-DD."]}),
        (
            {"from": "2026-02-30", "to": "2026-03-01"},
            {"from": ["Give from=YYYY-MM-DD, not “2026-02-30”."]},
        ),
        (
            {"from": "yesterday", "to": "2026/03/01"},
            {
                "from": ["Give from=YYYY-MM-DD, not “yesterday”."],
                "to": ["Give to=YYYY-MM-DD, not “2026/03/01”."],
            },
        ),
        ({"from": "2026-03-02", "to": "2026-03-01"}, {"to": ["to is before from."]}),
    ],
    ids=["none", "no-to", "no-such-day", "not-dates", "to-before-from"],
)
@pytest.mark.parametrize("path", ["partners/", "summary/", "series"])
def test_a_bad_period_is_a_400_naming_from_or_to(
    path: str,
    query: dict[str, str],
    errors: dict[str, list[str]],
    alpha_api: TenantClient,
    alpha_catalogue: Catalogue,
) -> None:
    # when metrics are asked for with a missing, malformed or reversed period
    url = series_url(alpha_catalogue.ref("acme")) if path == "series" else f"{METRICS}{path}"
    response = alpha_api.get(url, query)

    # then the answer names the parameter and what to send
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == errors


def test_both_days_of_the_period_are_included(winter: Catalogue, alpha_api: TenantClient) -> None:
    # when acme's metrics are asked for 15 - 20 January, then 16 - 19 January
    def revenue(start: str, end: str) -> str:
        response = alpha_api.get(
            f"{METRICS}partners/", {"from": start, "to": end, "tag": winter.tag}
        )
        assert response.status_code == 200, response.content
        rows = {row["partner"]: row for row in response.json()["results"]}
        return str(rows[winter.ref("acme")]["revenue"])

    # then the orders closed on the first and last days count, and only then
    assert revenue("2026-01-15", "2026-01-20") == "150.25"
    assert revenue("2026-01-16", "2026-01-19") == "0.00"
    assert revenue("2026-01-20", "2026-01-20") == "50.25"


# --- series ---------------------------------------------------------------------------------


def test_daily_series_has_every_day(winter: Catalogue, alpha_api: TenantClient) -> None:
    # when acme's series is asked for by day over 14 - 21 January
    response = alpha_api.get(
        series_url(winter.ref("acme")),
        {"from": "2026-01-14", "to": "2026-01-21", "interval": "day"},
    )

    # then there is one bucket per day, the empty days included
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["partner"], body["interval"]) == (winter.ref("acme"), "day")
    assert [
        (bucket["start"], bucket["revenue"], bucket["orders_won"]) for bucket in body["series"]
    ] == [
        ("2026-01-14", "0.00", 0),
        ("2026-01-15", "100.00", 1),
        ("2026-01-16", "0.00", 0),
        ("2026-01-17", "0.00", 0),
        ("2026-01-18", "0.00", 0),
        ("2026-01-19", "0.00", 0),
        ("2026-01-20", "50.25", 1),
        ("2026-01-21", "0.00", 0),
    ]
    assert body["series"][0]["avg_order_value"] is None
    assert body["series"][1]["avg_order_value"] == "100.00"


def test_weekly_series_starts_on_mondays(winter: Catalogue, alpha_api: TenantClient) -> None:
    # when acme's series is asked for by week over Thursday 15 Jan - Sunday 1 Feb
    response = alpha_api.get(
        series_url(winter.ref("acme")),
        {"from": "2026-01-15", "to": "2026-02-01", "interval": "week"},
    )

    # then the buckets are the weeks from Monday 12 Jan, the empty last one too
    assert response.status_code == 200, response.content
    assert [(bucket["start"], bucket["revenue"]) for bucket in response.json()["series"]] == [
        ("2026-01-12", "100.00"),
        ("2026-01-19", "50.25"),
        ("2026-01-26", "0.00"),
    ]


def test_monthly_series_keeps_the_empty_month(winter: Catalogue, alpha_api: TenantClient) -> None:
    # when acme's series is asked for by month over 10 January - 10 March
    response = alpha_api.get(
        series_url(winter.ref("acme")),
        {"from": "2026-01-10", "to": "2026-03-10", "interval": "month"},
    )

    # then January, an empty February and March are there, each derived from its sums
    assert response.status_code == 200, response.content
    series = response.json()["series"]
    assert [
        (bucket["start"], bucket["orders_won"], bucket["revenue"], bucket["avg_order_value"])
        for bucket in series
    ] == [
        ("2026-01-01", 2, "150.25", "75.12"),  # 150.25 / 2 = 75.125, rounded half to even
        ("2026-02-01", 0, "0.00", None),
        ("2026-03-01", 1, "30.00", "30.00"),
    ]


def test_a_series_interval_must_be_day_week_or_month(
    winter: Catalogue, alpha_api: TenantClient
) -> None:
    response = alpha_api.get(
        series_url(winter.ref("acme")),
        {"from": "2026-01-10", "to": "2026-03-10", "interval": "year"},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"interval": ["Use day, week or month."]}


def test_series_of_an_unknown_partner_is_404(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    response = alpha_api.get(
        series_url("no-such-partner"), {"from": "2026-01-01", "to": "2026-01-02"}
    )
    assert response.status_code == 404


# --- summary and status -----------------------------------------------------------------------


def test_summary_of_the_tenant(winter: Catalogue, alpha_api: TenantClient, tenant_a: Any) -> None:
    # given acme became an affiliate on 18 Jan (after prospect -> onboarding -> active),
    # bolt on 5 Feb (outside the period), and cogs became one twice in the period
    with tenant_schema(tenant_a):
        moves = {
            "acme": "2026-01-18T12:00:00Z",
            "bolt": "2026-02-05T12:00:00Z",
            "cogs": "2026-01-19T12:00:00Z",
        }
        for name, when in moves.items():
            partner = winter.partners[name]
            for status in ("onboarding", "active", "affiliate"):
                partner_transition(partner=partner, to_status=status, actor=None)
            StatusChange.objects.filter(partner=partner, to_status="affiliate").update(
                changed_at=datetime.fromisoformat(when)
            )
        cogs = winter.partners["cogs"]
        partner_transition(partner=cogs, to_status="suspended", actor=None)
        partner_transition(partner=cogs, to_status="active", actor=None)
        partner_transition(partner=cogs, to_status="affiliate", actor=None)
        StatusChange.objects.filter(partner=cogs, to_status="affiliate").update(
            changed_at=datetime.fromisoformat("2026-01-20T12:00:00Z")
        )

    # when the summary of 15 - 31 January is asked for, limited to these partners
    response = alpha_api.get(
        f"{METRICS}summary/", {"from": "2026-01-15", "to": "2026-01-31", "tag": winter.tag}
    )

    # then the totals are the partners' sums, and the summary metrics are right
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-01-15", "2026-01-31")
    assert body["partners"] == 3
    assert body["partners_sold"] == 2  # acme and bolt; cogs only lost
    assert body["affiliates_converted"] == 2  # acme and cogs (once)
    assert body["contacts_generated"] == 3  # cogs's lead came in February
    assert body["contacts_per_partner"] == "1.00"  # 3 / 3
    assert (body["orders_won"], body["orders_lost"], body["revenue"]) == (3, 1, "160.25")
    assert body["avg_order_value"] == "53.42"  # 160.25 / 3
    assert body["win_rate"] == "0.7500"


def test_a_partner_created_as_an_affiliate_was_not_converted(
    alpha_api: TenantClient, tenant_a: Any
) -> None:
    # given a partner signed straight in as an affiliate today, and one converted today
    with tenant_schema(tenant_a):
        tags = ["affiliates-today"]
        PartnerFactory.create(ref="born-affiliate", status="affiliate", tags=tags)
        converted = PartnerFactory.create(ref="converted", status="active", tags=tags)
        partner_transition(partner=converted, to_status="affiliate", actor=None)
    today = timezone.localdate(timezone=ZoneInfo(tenant_a.time_zone)).isoformat()

    # when today's summary of the two is asked for
    response = alpha_api.get(
        f"{METRICS}summary/", {"from": today, "to": today, "tag": "affiliates-today"}
    )

    # then only the conversion counts
    assert response.status_code == 200, response.content
    assert response.json()["affiliates_converted"] == 1


def test_summary_with_no_partners_has_null_ratios(alpha_api: TenantClient) -> None:
    # when the summary is limited to a tag no partner has
    response = alpha_api.get(
        f"{METRICS}summary/",
        {"from": "2026-01-01", "to": "2026-01-31", "tag": "no-such-tag-at-all"},
    )

    # then the counts are zero and the ratios null
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["partners"], body["partners_sold"], body["affiliates_converted"]) == (0, 0, 0)
    assert body["contacts_per_partner"] is None
    assert body["avg_order_value"] is None
    assert body["revenue"] == "0.00"


def test_status_counts_pending_keys_until_folded(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int], tenant_a: Any
) -> None:
    # given no key pending in alpha
    fold()
    before = alpha_api.get(f"{METRICS}status/").json()
    assert before["pending"] == 0

    # when an order is accepted (opened and won on different days: two keys)
    accepted(
        send(
            alpha_api,
            "orders",
            [
                order(
                    "st-1",
                    alpha_catalogue.ref("acme"),
                    ordered_at="2026-01-05T10:00:00Z",
                    closed_at="2026-01-06T10:00:00Z",
                )
            ],
        )
    )

    # then two keys are pending, until the fold
    assert alpha_api.get(f"{METRICS}status/").json()["pending"] == 2
    started = timezone.now()
    fold()
    after = alpha_api.get(f"{METRICS}status/").json()
    assert set(after) == {"pending", "as_of"}
    assert after["pending"] == 0
    as_of = datetime.fromisoformat(after["as_of"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=1) <= as_of <= timezone.now()
    with tenant_schema(tenant_a):
        assert not PendingRollup.objects.exists()


# --- who may read -----------------------------------------------------------------------------


def test_only_vendor_staff_and_keys_read_metrics(
    winter: Catalogue,
    api_client: Callable[..., TenantClient],
    alpha_manager: TenantClient,
    alpha_partner: TenantClient,
    tenant_a: Any,
) -> None:
    period = {"from": "2026-01-01", "to": "2026-01-31"}
    urls = [
        f"{METRICS}partners/",
        series_url(winter.ref("acme")),
        f"{METRICS}summary/",
        f"{METRICS}status/",
    ]
    read_only = api_client(tenant_a, scopes=["read"])
    anonymous = client_for(tenant_a)
    for url in urls:
        # a read-only key and a channel manager may read
        assert read_only.get(url, period).status_code == 200, url
        assert alpha_manager.get(url, period).status_code == 200, url
        # a partner user and nobody may not
        assert alpha_partner.get(url, period).status_code == 403, url
        assert anonymous.get(url, period).status_code == 401, url


def test_another_tenants_metrics_are_out_of_reach(
    winter: Catalogue,
    alpha_api: TenantClient,
    alpha_admin: TenantClient,
    beta_api: TenantClient,
    tenant_b: Any,
    fold: Callable[[], int],
) -> None:
    # given beta has its own partner with a won order, folded
    beta = make_catalogue(tenant_b, ("delta",))
    accepted(
        send(
            beta_api,
            "orders",
            [
                order(
                    "b-1",
                    beta.ref("delta"),
                    amount="777.00",
                    closed_at="2026-01-15T10:00:00Z",
                    ordered_at="2026-01-15T09:00:00Z",
                )
            ],
        )
    )
    with tenant_schema(tenant_b):
        from reporting import rollups

        rollups.fold_all()
    period = {"from": "2026-01-01", "to": "2026-01-31"}

    # when alpha's key and session ask beta's host for every metrics URL
    stolen_session = client_for(tenant_b)
    stolen_session.cookies[settings.SESSION_COOKIE_NAME] = alpha_admin.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    stolen_key = client_for(tenant_b, HTTP_AUTHORIZATION=f"Bearer {alpha_api.key}")
    urls = [
        f"{METRICS}partners/",
        series_url(beta.ref("delta")),
        f"{METRICS}summary/",
        f"{METRICS}status/",
    ]
    for caller in (stolen_session, stolen_key):
        for url in urls:
            response = caller.get(url, period)
            # then beta refuses, and shows nothing of its own
            assert response.status_code in (401, 403), (url, response.status_code)
            assert beta.ref("delta").encode() not in response.content

    # and on alpha's own host, beta's partner does not exist and its sales are not there
    assert alpha_api.get(series_url(beta.ref("delta")), period).status_code == 404
    listed = alpha_api.get(f"{METRICS}partners/", period).json()["results"]
    assert beta.ref("delta") not in {row["partner"] for row in listed}
    assert "777.00" not in {row["revenue"] for row in listed}
    summary = alpha_api.get(f"{METRICS}summary/", period).json()
    assert summary["revenue"] == "160.25"  # alpha's own January sales (no other tenant's)

    # and alpha's key cannot send activity for beta's partner from alpha's host
    rows = [order("steal-1", winter.ref("acme")), order("steal", beta.ref("delta"))]
    body = accepted(send(alpha_api, "orders", rows))
    assert body["errors"] == [
        {
            "index": 1,
            "errors": {"partner": [f"There is no partner with ref “{beta.ref('delta')}”."]},
        }
    ]
