"""A request's clocks say when they are due in the one format the pages write moments
in (prm.web.formats.moment), in the SLA calendar's zone, named when it is not the
tenant's; an SLA policy's holidays are days as the pages write days; monthly minimums
are money and numbers as the pages write them."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from prm.accounts.models import Role
from prm.web import formats
from slas import services
from slas.templatetags.sla_tags import format_target
from tests.conftest import client_for, log_in, tenant_schema
from tests.factories import UserFactory
from tests.portal.conftest import PortalPartner, make_portal_partner
from tests.slas.policies import weekday_policy

pytestmark = pytest.mark.django_db


def _portal(tenant: Any, zone: str) -> PortalPartner:
    with tenant_schema(tenant):
        portal = make_portal_partner("clock", activity=False)
        portal.partner.sla = weekday_policy(
            f"clock-{portal.marker}", time_zone=zone, holidays=["2026-12-24"]
        )
        portal.partner.save()
        portal.request = services.partner_request_open(
            partner=portal.partner, subject="Quote", description="", raised_by=portal.user
        )
    return portal


def _due_texts(html: str) -> list[str]:
    return re.findall(r'due <time datetime="[^"]+">([^<]+)</time>', html)


@pytest.mark.parametrize("where", ["the calendar's own zone", "the tenant's zone"])
def test_a_clock_says_when_it_is_due_as_the_pages_write_moments(tenant_a: Any, where: str) -> None:
    # given a request on a policy whose calendar is in Berlin, or in the tenant's zone
    zone = "Europe/Berlin" if where == "the calendar's own zone" else tenant_a.time_zone
    portal = _portal(tenant_a, zone)
    assert portal.request is not None
    manager = log_in(client_for(tenant_a), tenant_a, portal.partner.channel_manager)

    # when the manager and the partner's user open it
    staff = manager.get(reverse("slas:request_detail", args=[portal.request.pk]))
    partner = log_in(client_for(tenant_a), tenant_a, portal.user).get(
        reverse("portal:request_detail", args=[portal.request.pk])
    )

    # then each running clock's due time is a moment in the calendar's zone, the zone
    # named only when it is not the tenant's
    due = portal.request.first_response_due_at
    assert due is not None
    with timezone.override(ZoneInfo(zone)):
        expected = formats.moment(due)
    if zone != tenant_a.time_zone:
        expected += f" {due.astimezone(ZoneInfo(zone)).strftime('%Z')}"
    for response in (staff, partner):
        texts = _due_texts(response.content.decode())
        assert texts, response.request["PATH_INFO"]
        assert texts[0] == expected


def test_a_policy_page_writes_its_holidays_as_days(tenant_a: Any) -> None:
    # given a policy with a holiday on Christmas Eve
    portal = _portal(tenant_a, "UTC")
    assert portal.partner.sla is not None
    with tenant_schema(tenant_a):
        admin_user = UserFactory.create(role=Role.ADMIN, email=f"clock-{portal.marker}@example.com")
    admin = log_in(client_for(tenant_a), tenant_a, admin_user)

    # when the administrator opens the policy
    html = admin.get(
        reverse("slas:policy_detail", kwargs={"policy": portal.partner.sla.slug})
    ).content.decode()

    # then the holiday reads as every other day does, and when it was updated as every
    # other moment does
    assert f"Holidays: {formats.day(date(2026, 12, 24))}" in html
    assert "2026-12-24" not in html.split("Holidays:")[1].split("</p>")[0]
    updated = html.split("updated <time")[1].split("</time>")[0]
    assert updated.endswith(f">{formats.moment(portal.partner.sla.updated_at)}")


def test_monthly_minimums_read_as_money_and_numbers(tenant_a: Any) -> None:
    # given a partner whose policy asks for 50,000 of revenue and 1,200 calls a month
    with tenant_schema(tenant_a):
        portal = make_portal_partner("minimum", activity=False)
        portal.partner.sla = weekday_policy(
            f"minimum-{portal.marker}", min_monthly_revenue="50000", min_monthly_calls="1200"
        )
        portal.partner.save()
    manager = log_in(client_for(tenant_a), tenant_a, portal.partner.channel_manager)

    # when its manager opens the compliance page and the partner's page
    pages = {
        "compliance": manager.get(reverse("slas:compliance")).content.decode(),
        "partner": manager.get(
            reverse("partners:detail", args=[portal.partner.ref])
        ).content.decode(),
    }

    portal_sla = log_in(client_for(tenant_a), tenant_a, portal.user).get(reverse("portal:sla"))

    # then this month's revenue against its minimum is money in the tenant's currency,
    # the calls a number with its grouping, on the staff pages and in the portal
    for name, html in pages.items():
        assert f"{formats.money(0)} / {formats.money(50000)}" in html, name
        assert f"0 / {formats.number(1200)}" in html, name
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', portal_sla.content.decode())
    assert [formats.money(0), formats.money(50000)] in [cells[i : i + 2] for i in range(len(cells))]
    assert ["0", formats.number(1200)] in [cells[i : i + 2] for i in range(len(cells))]


def test_a_policys_money_target_is_written_in_the_tenants_currency_and_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a tenant in euros that reads German
    monkeypatch.setattr(
        connection, "tenant", SimpleNamespace(locale="de_DE", currency="EUR"), raising=False
    )

    # then a minimum revenue reads as its money, a minimum count with its grouping
    assert format_target("1500", "money") == "1.500,00\xa0€"
    assert format_target(12000, "count") == "12.000"
    assert format_target(None, "money") == "—"
