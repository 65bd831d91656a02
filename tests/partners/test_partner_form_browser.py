"""The new-partner form in a real browser (Debian's Chromium through Playwright, against
gunicorn on the test database): the ref is suggested from the name by
static/js/partner-form.js (a file, as the Content-Security-Policy wants) until the
user types one, and a pasted web address is stored as its domain."""

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
def test_the_ref_follows_the_name_until_typed_and_a_pasted_address_is_cleaned(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    name = f"Zoë's Café & Bar {marker}"
    suggested = f"zoe-s-cafe-and-bar-{marker}"

    # given a channel manager of alpha, committed so the server sees it
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"form-{marker}@example.com")

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            for ref in (suggested, f"own-{marker}"):
                Partner.objects.filter(ref=ref).delete()
                Partner.history.filter(ref=ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk=manager.pk).delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"
    violations: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.on(
                "console",
                lambda message: (
                    violations.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            sign_in(page, f"{base}/partners/new/", manager.email)
            expect(page.get_by_role("heading", name="New partner")).to_be_visible()

            # when the manager types the business name
            page.get_by_label("Business name").press_sequentially(name)
            # then the ref is suggested from it
            ref = page.get_by_label("Ref")
            expect(ref).to_have_value(suggested)

            # and once a ref is typed, changing the name leaves it alone
            ref.fill(f"own-{marker}")
            page.get_by_label("Business name").fill(f"{name} Ltd")
            expect(ref).to_have_value(f"own-{marker}")

            # and emptying it follows the name again
            ref.fill("")
            page.get_by_label("Business name").fill(f"{name} Ltd!")
            expect(ref).to_have_value(f"{suggested}-ltd")
            ref.fill(suggested)

            # when the form is sent with a web address pasted as the domain
            page.get_by_label("Website domain").fill(f"https://www.{marker}.example/about")
            page.get_by_role("button", name="Create partner").click()
            # then the partner is created
            expect(page.get_by_text("is in the registry.")).to_be_visible()
        finally:
            browser.close()

    # and stored with the suggested ref and the bare domain; the script broke no policy
    with tenant_schema(tenant_a):
        partner = Partner.objects.get(ref=suggested)
        assert partner.domain == f"{marker}.example"
    assert violations == []
