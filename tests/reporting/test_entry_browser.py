""" "Log a call" in a real browser, staff and portal: Chromium (Debian's package) driven
by Playwright against gunicorn on the test database (`live_server_url`), for a tenant
whose time zone is not UTC. The form's default time is taken on the first submit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect, sync_playwright

from partners.models import Partner, PartnerUser
from prm.accounts.models import Role, User
from reporting.models import Call, PendingRollup
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import PartnerFactory, UserFactory

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# Behind UTC: a default written in UTC and read back in the tenant's zone would be
# hours in the future, and refused.
ZONE = "America/New_York"


@pytest.mark.browser
def test_log_a_call_with_the_default_time_succeeds_on_the_first_submit(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]

    # given alpha keeps New York time, a manager, and a partner with a portal user;
    # committed so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"mgr-{marker}@example.com")
        partner = PartnerFactory.create(
            ref=f"calls-{marker}", name=f"Caller {marker} Ltd", channel_manager=manager
        )
        portal_user = UserFactory.create(
            role=Role.PARTNER, partner=partner, email=f"user-{marker}@example.com"
        )
    previous_zone = tenant_a.time_zone
    tenant_a.time_zone = ZONE
    tenant_a.save(update_fields=["time_zone"])

    def clean_up() -> None:
        tenant_a.time_zone = previous_zone
        tenant_a.save(update_fields=["time_zone"])
        with tenant_schema(tenant_a):
            Call.objects.filter(partner=partner).delete()
            PendingRollup.objects.filter(partner_id=partner.pk).delete()
            PartnerUser.objects.filter(partner=partner).delete()
            Partner.objects.filter(pk=partner.pk).delete()
            Partner.history.filter(ref=partner.ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(email__endswith=f"-{marker}@example.com").delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"
    started = timezone.now().replace(second=0, microsecond=0)
    shown: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # when the manager opens "Log a call" from the partner's activity at 1440 px
            page = browser.new_page(viewport=DESKTOP)
            sign_in(page, f"{base}/activity/?kind=calls&partner={partner.ref}", manager.email)
            page.get_by_role("link", name="Log a call").click()
            expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
            when = page.get_by_label("Occurred at")
            expect(when).not_to_have_value("")
            shown.append(when.input_value())
            # and sends it with its defaults
            page.get_by_role("button", name="Log it").click()

            # then it is logged at once and listed on the partner's calls
            expect(page.get_by_text("The call is logged")).to_be_visible()
            expect(page.get_by_role("link", name=partner.name).first).to_be_visible()
            page.close()

            # and the partner's user does the same in the portal, at phone width
            page = browser.new_page(viewport=PHONE)
            sign_in(page, f"{base}/portal/calls/new/", portal_user.email)
            expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
            when = page.get_by_label("Occurred at")
            expect(when).not_to_have_value("")
            shown.append(when.input_value())
            page.get_by_role("button", name="Log it").click()
            expect(page.get_by_text("The call is logged")).to_be_visible()
            expect(page).to_have_url(f"{base}/portal/calls/")
        finally:
            browser.close()

    # and both were stored for the partner at the time the form showed, read in New
    # York: the tenant's now when the form was opened
    zone = ZoneInfo(ZONE)
    expected = sorted(datetime.fromisoformat(value).replace(tzinfo=zone) for value in shown)
    with tenant_schema(tenant_a):
        stored = sorted(Call.objects.filter(partner=partner).values_list("occurred_at", flat=True))
    assert stored == expected
    assert all(started <= moment <= timezone.now() + timedelta(minutes=1) for moment in stored)
