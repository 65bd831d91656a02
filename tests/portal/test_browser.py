"""The partner portal in a real browser at phone width: Chromium (Debian's package)
driven by Playwright against gunicorn on the test database (`live_server_url`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect, sync_playwright

from partners.models import Partner, PartnerUser, Tier
from prm.accounts.models import User
from reporting.ingest import ingest
from reporting.models import Order, PendingRollup
from reporting.rollups import fold_all
from slas.models import PartnerRequest
from slas.services import partner_request_open
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import PROJECT_DIR, tenant_schema
from tests.factories import PartnerFactory, UserFactory

SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.mark.browser
def test_a_partner_user_sees_its_own_scorecard_and_nothing_of_another_partner(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]

    # given partners X and Y of alpha, X with a portal user and a won order of 321.00,
    # Y with an open request; committed so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(
            role="manager", email=f"mgr-{marker}@example.com", full_name=f"Mona {marker}"
        )
        x = PartnerFactory.create(
            ref=f"px-{marker}", name=f"Xenon {marker} Ltd", channel_manager=manager
        )
        y = PartnerFactory.create(
            ref=f"py-{marker}", name=f"Yonder {marker} Ltd", channel_manager=manager
        )
        user = UserFactory.create(role="partner", partner=x, email=f"px-{marker}@example.com")
        y_request = partner_request_open(partner=y, subject=f"Yonder trouble {marker}")
        now = timezone.now()
        result = ingest(
            kind="orders",
            rows=[
                {
                    "external_id": f"browser-{marker}",
                    "partner": x.ref,
                    "status": "won",
                    "amount": "321.00",
                    "ordered_at": now.isoformat(),
                    "closed_at": now.isoformat(),
                }
            ],
        )
        assert not result.errors
        fold_all()

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Order.objects.filter(partner__in=[x, y]).delete()
            PendingRollup.objects.filter(partner_id__in=[x.pk, y.pk]).delete()
            PartnerRequest.objects.filter(partner__in=[x, y]).delete()
            PartnerUser.objects.filter(partner__in=[x, y]).delete()
            Partner.objects.filter(pk__in=[x.pk, y.pk]).delete()
            Partner.history.filter(ref__in=[x.ref, y.ref]).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(email__endswith=f"-{marker}@example.com").delete()
            Tier.objects.filter(slug__contains=marker).delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)

            # when X's user signs in at phone width
            sign_in(page, f"{base}/accounts/login/", user.email)

            # then it lands on its portal, with its channel manager as contact
            expect(page).to_have_url(f"{base}/portal/")
            expect(page.get_by_role("heading", name=x.name)).to_be_visible()
            expect(page.get_by_text(f"Mona {marker}")).to_be_visible()
            _fits_the_width(page)
            page.screenshot(path=str(SCREENSHOTS / "portal-home-phone.png"), full_page=True)

            # and its scorecard shows its own revenue, with a table for each chart
            page.get_by_role("navigation", name="Partner portal").get_by_role(
                "link", name="Scorecard"
            ).click()
            expect(page).to_have_url(f"{base}/portal/scorecard/")
            revenue = page.locator('[data-metric="revenue"]')
            expect(revenue).to_have_attribute("data-value", "321.00")
            expect(revenue.locator(".prm-tile-value")).to_contain_text("321")
            page.get_by_text("Table of “Revenue”").click()
            expect(page.locator("#portal-revenue table")).to_be_visible()
            _fits_the_width(page)
            page.screenshot(path=str(SCREENSHOTS / "portal-scorecard-phone.png"), full_page=True)

            # and the request form works from the keyboard alone
            page.goto(f"{base}/portal/requests/new/")
            page.get_by_label("Kind").focus()
            page.keyboard.press("Tab")
            page.keyboard.type(f"Keyboard request {marker}")
            page.keyboard.press("Tab")
            page.keyboard.type("Raised without a mouse.")
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
            expect(page.get_by_text("the SLA clock is running")).to_be_visible()
            expect(page.get_by_role("heading", name=f"Keyboard request {marker}")).to_be_visible()

            # and Y's partner page and request are refused, showing nothing of Y
            for path in (
                f"/partners/{y.ref}/",
                f"/portal/requests/{y_request.pk}/",
                f"/slas/requests/{y_request.pk}/",
            ):
                response = page.goto(f"{base}{path}")
                assert response is not None
                assert response.status in (403, 404), path
                assert y.name not in page.content()
                assert y_request.subject not in page.content()
        finally:
            browser.close()

    # and the request was raised for X, by its user
    with tenant_schema(tenant_a):
        raised = PartnerRequest.objects.get(subject=f"Keyboard request {marker}")
        assert (raised.partner_id, raised.raised_by_id) == (x.pk, user.pk)
        assert raised.first_response_due_at is not None
    assert Path(SCREENSHOTS / "portal-scorecard-phone.png").stat().st_size > 0


def _fits_the_width(page: Any) -> None:
    """Nothing makes the page scroll sideways at phone width."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"
