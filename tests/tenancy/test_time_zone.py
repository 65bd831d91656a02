"""The tenant's time zone is the active one for its pages, tasks and commands, and its
"today" and "this month" are its own: a tenant in Auckland (UTC+13 in February)
starts March while it is still 28 February in UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import Partner, StatusChange
from prm.celery import app
from prm.tenancy.clock import tenant_today, tenant_zone
from reporting.ingest import ingest
from reporting.rollups import fold_all
from slas.selectors import sla_compliance, sla_policy_default
from slas.services import sla_policy_save
from tests.conftest import TenantClient, tenant_schema
from tests.factories import PartnerFactory

AUCKLAND = "Pacific/Auckland"
# 12:00 UTC on 28 February 2026 is 01:00 on 1 March in Auckland (NZDT, UTC+13).
UTC_NOON_28_FEBRUARY = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)


@app.task(name="tests.tenancy.active_time_zone")
def active_time_zone() -> str:
    return timezone.get_current_timezone_name()


@app.task(name="tests.tenancy.platform_active_time_zone", platform_task=True)
def platform_active_time_zone() -> str:
    return timezone.get_current_timezone_name()


@pytest.fixture
def auckland_alpha(db: None, tenant_a: Any) -> Iterator[Any]:
    """alpha keeps Auckland time for the test. The row is saved, which clears the
    cached tenant the middleware serves each host from, and put back the same way."""
    previous = tenant_a.time_zone
    tenant_a.time_zone = AUCKLAND
    tenant_a.save(update_fields=["time_zone"])
    try:
        yield tenant_a
    finally:
        tenant_a.time_zone = previous
        tenant_a.save(update_fields=["time_zone"])


def test_the_tenants_today_is_its_own_across_a_month_boundary(auckland_alpha: Any) -> None:
    # given alpha in Auckland, at noon UTC on 28 February
    with tenant_schema(auckland_alpha):
        # then alpha's today is already 1 March
        assert tenant_today(UTC_NOON_28_FEBRUARY) == date(2026, 3, 1)
        assert str(tenant_zone()) == AUCKLAND
    # and outside a tenant the day is UTC's
    assert tenant_today(UTC_NOON_28_FEBRUARY) == date(2026, 2, 28)
    assert str(tenant_zone()) == "UTC"


def test_a_page_shows_times_in_the_tenants_zone_and_the_api_in_utc(
    auckland_alpha: Any, alpha_admin: TenantClient, alpha_api: TenantClient
) -> None:
    # given a partner of Auckland's alpha last updated at 11:30 UTC on 28 February
    with tenant_schema(auckland_alpha):
        partner = PartnerFactory.create(ref="kiwi")
        Partner.objects.filter(pk=partner.pk).update(
            updated_at=datetime(2026, 2, 28, 11, 30, tzinfo=UTC)
        )

    # when an admin opens its page and a client reads it from the API
    page = alpha_admin.get(reverse("partners:detail", args=["kiwi"]))
    body = alpha_api.get("/api/v1/partners/kiwi/").json()

    # then the page says 00:30 on 1 March, Auckland's time; the API keeps its UTC
    assert page.status_code == 200
    assert "(updated Mar 1, 2026, 12:30\u202fAM)" in page.content.decode()
    assert body["updated_at"] == "2026-02-28T11:30:00Z"
    # and nothing stays active after the request
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_task_runs_in_its_tenants_zone_and_a_platform_task_in_utc(
    auckland_alpha: Any,
) -> None:
    # when a task runs in Auckland's alpha, and a platform task in the public schema
    with tenant_schema(auckland_alpha):
        in_tenant = active_time_zone.apply().get()
    in_public = platform_active_time_zone.apply().get()

    # then each saw its own zone, and neither left it active
    assert (in_tenant, in_public) == (AUCKLAND, "UTC")
    assert timezone.get_current_timezone_name() == "UTC"


def _won_order(external_id: str, closed_at: str) -> None:
    result = ingest(
        kind="orders",
        rows=[
            {
                "external_id": external_id,
                "partner": "kiwi",
                "status": "won",
                "amount": "10.00",
                "ordered_at": "2026-02-01T00:00:00Z",
                "closed_at": closed_at,
            }
        ],
    )
    assert not result.errors


@pytest.fixture
def kiwi_with_orders(auckland_alpha: Any, alpha_manager: TenantClient) -> Partner:
    """Partner "kiwi" of alpha's manager, asked for 5 won orders a month: two won in
    Auckland's February, one at 00:30 on 1 March there (11:30 UTC on 28 February)."""
    january = datetime(2026, 1, 1, tzinfo=UTC)
    with tenant_schema(auckland_alpha):
        sla_policy_save(data={"min_monthly_won_orders": 5}, policy=sla_policy_default(), actor=None)
        partner = PartnerFactory.create(
            ref="kiwi", status="active", channel_manager=alpha_manager.user
        )
        Partner.objects.filter(pk=partner.pk).update(created_at=january)
        StatusChange.objects.filter(partner=partner).update(changed_at=january)
        _won_order("feb-1", "2026-02-10T12:00:00Z")
        _won_order("feb-2", "2026-02-20T12:00:00Z")
        _won_order("mar-1", "2026-02-28T11:30:00Z")
        fold_all()
    return partner


def _won_orders_shown(html: str, ref: str) -> str:
    row = html[html.index(f'data-partner="{ref}"') :]
    found = re.search(r"Won orders: (\d+) / 5", row)
    assert found is not None, row[:2000]
    return found.group(1)


def test_the_compliance_pages_month_is_the_tenants(
    kiwi_with_orders: Partner,
    alpha_manager: TenantClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given it is noon UTC on 28 February: 1 March in Auckland
    monkeypatch.setattr("django.utils.timezone.now", lambda: UTC_NOON_28_FEBRUARY)

    # when the manager opens the compliance page
    response = alpha_manager.get(reverse("slas:compliance"))

    # then "this month so far" is Auckland's March: one won order, not February's two
    assert response.status_code == 200
    assert _won_orders_shown(response.content.decode(), "kiwi") == "1"


def test_the_compliance_reads_this_month_at_the_moment_it_is_given(
    kiwi_with_orders: Partner, auckland_alpha: Any
) -> None:
    with tenant_schema(auckland_alpha):
        partners = Partner.objects.filter(pk=kiwi_with_orders.pk)
        # when compliance is read just before and just after Auckland's midnight
        before = sla_compliance(partners=partners, now=datetime(2026, 2, 28, 10, 59, tzinfo=UTC))
        after = sla_compliance(partners=partners, now=datetime(2026, 2, 28, 11, 0, tzinfo=UTC))

    # then February counts its two won orders, and March starts with the third
    def won(summary: dict[str, Any]) -> int:
        (minimum,) = summary["rows"][0]["minimums"]
        return int(minimum["actual"])

    assert (won(before), won(after)) == (2, 1)
