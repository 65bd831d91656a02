"""Settings in a real browser (Chromium, Debian's package, through Playwright, against
gunicorn on the test database): the page's title is text, and its Webhooks section
lists the tenant's receivers (issue 16, found 3: the section once sat inside the title
block, so the tab showed raw HTML and no list appeared)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from prm.accounts.models import Role, User
from prm.webhooks.models import Subscription
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import UserFactory


@pytest.mark.browser
def test_settings_has_a_clean_title_and_lists_the_webhooks(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]

    # given an admin of alpha and a (disabled, loopback) webhook receiver, committed
    with tenant_schema(tenant_a):
        admin = UserFactory.create(role=Role.ADMIN, email=f"settings-{marker}@example.com")
        hook = Subscription.objects.create(
            url=f"https://127.0.0.1:9/prm-{marker}",
            events=["partner.updated"],
            secret="s",
            description=f"ERP listener {marker}",
            is_active=False,
            disabled_reason="kept off: a test's receiver",
        )

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Subscription.objects.filter(pk=hook.pk).delete()
            User.objects.filter(pk=admin.pk).delete()

    committed(clean_up)
    base = f"http://{tenant_a.slug}.localhost:{urlsplit(live_server_url).port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            sign_in(page, f"{base}/settings/", admin.email)

            # when the admin opens Settings' Webhooks section
            page.get_by_role("navigation", name="Settings sections").get_by_role(
                "link", name="Webhooks"
            ).click()

            # then the tab's title is plain text
            title = page.title()
            assert title.startswith("Settings · "), title
            assert "<" not in title
            # and the section lists the receiver, with its state
            section = page.locator("section", has=page.get_by_role("heading", name="Webhooks"))
            expect(section.get_by_role("link", name=hook.url)).to_be_visible()
            expect(section).to_contain_text(f"ERP listener {marker}")
            expect(section).to_contain_text("disabled")
            expect(section.get_by_role("link", name="Add a webhook")).to_be_visible()
        finally:
            browser.close()
