"""The staff activity page's filters in a real browser (Debian's Chromium through
Playwright, against gunicorn on the test database): a partner found by part of its
name, its name a link to its page, the status filter kept on the next tab visit, and
a name no partner has said as such."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from playwright.sync_api import expect, sync_playwright

from partners.models import Partner
from prm.accounts.models import Role, User
from reporting.ingest import ingest
from reporting.models import Order, PendingRollup
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import PartnerFactory, UserFactory
from tests.reporting.activity import order


@pytest.mark.browser
def test_a_manager_finds_a_partners_orders_by_part_of_its_name(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]

    # given a manager and a partner with a won and an open order, committed
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"act-{marker}@example.com")
        partner = PartnerFactory.create(
            ref=f"act-{marker}", name=f"Northwind {marker} Secure", channel_manager=manager
        )
        result = ingest(
            kind="orders",
            rows=[
                order(f"won-{marker}", partner.ref, ordered_at="2026-01-10T10:00:00Z"),
                order(f"open-{marker}", partner.ref, status="open"),
            ],
        )
        assert not result.errors

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Order.objects.filter(partner=partner).delete()
            PendingRollup.objects.filter(partner_id=partner.pk).delete()
            Partner.objects.filter(pk=partner.pk).delete()
            Partner.history.filter(ref=partner.ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk=manager.pk).delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            sign_in(page, f"{base}/activity/", manager.email)

            # when the manager types part of the partner's name and won orders only
            page.get_by_label("Partner").fill(f"{marker} secure")
            page.get_by_label("Status").select_option("won")
            page.get_by_role("button", name="Filter").click()

            # then only its won order is listed, and its name leads to its page
            expect(page.get_by_text(f"won-{marker}")).to_be_visible()
            expect(page.get_by_text(f"open-{marker}")).to_have_count(0)
            # and the calls tab keeps the partner (a call has no status)
            page.get_by_role("link", name="Calls", exact=True).click()
            expect(page.get_by_label("Partner")).to_have_value(f"{marker} secure")
            expect(page.get_by_text("No calls match these filters.")).to_be_visible()
            page.go_back()
            page.get_by_role("link", name=partner.name).first.click()
            expect(page).to_have_url(f"{base}/partners/{partner.ref}/")

            # when a name no partner has is typed, the page says so
            page.goto(f"{base}/activity/")
            page.get_by_label("Partner").fill("Fabrikam Cloud")
            page.get_by_role("button", name="Filter").click()
            expect(page.get_by_text("No partner named “Fabrikam Cloud”.").first).to_be_visible()
            expect(page.get_by_text("No orders yet.")).to_have_count(0)
        finally:
            browser.close()
