"""The registry in a real browser: Chromium (Debian's package) driven by Playwright
against gunicorn on the test database (the `live_server_url` fixture)."""

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
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import UserFactory


@pytest.mark.browser
def test_a_manager_creates_a_partner_and_finds_it_on_the_list(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    ref = f"browser-{marker}"
    name = f"Browser Made {marker} Ltd"

    # given a channel manager of alpha, committed so the server sees it
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"browser-{marker}@example.com")

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            # Deleting the partner writes one more history row; then the history goes.
            Partner.objects.filter(ref=ref).delete()
            Partner.history.filter(ref=ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk=manager.pk).delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            # when the manager signs in
            sign_in(page, f"{base}/partners/", manager.email)

            # and creates a partner through the form, from the list's button
            expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()
            page.get_by_role("link", name="New partner").click()
            page.get_by_label("Business name").fill(name)
            page.get_by_label("Ref").fill(ref)
            page.get_by_label("Website domain").fill(f"{ref}.example")
            page.get_by_label("Main telephone").fill("020 7946 0958")
            page.get_by_label("Country").select_option("GB")
            page.get_by_label("Tags").fill("browser, test")
            page.get_by_role("button", name="Create partner").click()

            # then its page shows it, with the phone read as a British number
            expect(page.get_by_text(f"{name} is in the registry.")).to_be_visible()
            expect(page.get_by_role("heading", name=name)).to_be_visible()
            expect(page.get_by_text("+44 20 7946 0958").first).to_be_visible()

            # and it is on the list, found by searching for its ref
            page.get_by_role("navigation", name="breadcrumb").get_by_role(
                "link", name="Partners"
            ).click()
            expect(page.get_by_role("link", name=name)).to_be_visible()
            page.get_by_role("searchbox", name="Search").fill(ref)
            page.get_by_role("button", name="Apply").click()
            expect(page.get_by_text("Showing 1–1 of 1 partner")).to_be_visible()  # noqa: RUF001
            expect(page.get_by_role("link", name=name)).to_be_visible()
        finally:
            browser.close()

    # and it was saved once, by that manager, as its channel manager
    with tenant_schema(tenant_a):
        partner = Partner.objects.get(ref=ref)
        assert partner.channel_manager_id == manager.pk
        assert str(partner.phone) == "+442079460958"
        assert partner.history.filter(history_type="+").get().history_user_id == manager.pk
