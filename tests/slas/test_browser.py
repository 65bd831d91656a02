"""The compliance page in a real browser: Chromium (Debian's package) driven by
Playwright against gunicorn on the test database (the `live_server_url` fixture)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from partners.models import Partner
from prm.accounts.models import Role, User
from slas.services import partner_request_open
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import PartnerFactory, UserFactory


@pytest.mark.browser
def test_a_manager_sees_the_breached_partner_first_on_the_compliance_page(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    calm_ref, late_ref = f"calm-{marker}", f"late-{marker}"
    late_name = f"Zulu Late {marker} Ltd"

    # given a manager of alpha with two partners: one calm (first by name) and one
    # whose request was opened a month ago, its first response long overdue;
    # committed, so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"sla-browser-{marker}@example.com")

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            # Requests, overrides and events go with their partner.
            Partner.objects.filter(ref__in=[calm_ref, late_ref]).delete()
            Partner.history.filter(ref__in=[calm_ref, late_ref]).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk=manager.pk).delete()

    committed(clean_up)
    with tenant_schema(tenant_a):
        PartnerFactory.create(
            ref=calm_ref, name=f"Alpha Calm {marker} Ltd", channel_manager=manager
        )
        late = PartnerFactory.create(ref=late_ref, name=late_name, channel_manager=manager)
        partner_request_open(
            partner=late,
            subject="Order portal is down",
            opened_at=timezone.now() - timedelta(days=30),
        )
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            # when the manager signs in and opens the compliance page from the SLA pages
            sign_in(page, f"{base}/slas/", manager.email)
            expect(page.get_by_role("heading", name="SLA policies")).to_be_visible()
            page.get_by_role("link", name="Compliance").click()

            # then their partners are listed, the breached one first with its breach
            expect(page.get_by_role("heading", name="SLA compliance")).to_be_visible()
            rows = page.locator("#compliance tbody tr")
            expect(rows).to_have_count(2)
            first = rows.first
            expect(first.get_by_role("link", name=late_name)).to_be_visible()
            expect(first.get_by_text("Breached", exact=True)).to_be_visible()
            # (both of its clocks are overdue: first response and resolution)
            expect(first.get_by_role("link", name="Order portal is down")).to_have_count(2)
            expect(first).to_contain_text("first response overdue by")
            expect(rows.nth(1)).to_contain_text(f"Alpha Calm {marker} Ltd")
            expect(page.locator("#compliance-summary")).to_contain_text("1 partner in breach")

            # and the breached request opens from there, showing the breached clock
            first.get_by_role("link", name="Order portal is down").first.click()
            expect(page.locator("#request-clocks")).to_contain_text("Breached")
        finally:
            browser.close()
