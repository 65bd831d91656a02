"""A partner request's conversation in a real browser, both sides, at 1440 and 390 px:
the manager writes a reply, checks it on the review page and sends it; the partner's
user reads it on the portal and answers; the manager reads the answer. No step needs
a script of the page's own, and no page scrolls sideways; the partner's answer sent twice
at once (a double click) is sent once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from partners.models import Partner
from prm.accounts.models import Role, User
from slas.services import partner_request_open
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import PartnerFactory, UserFactory

WIDE: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def signed_in(browser: Browser, base: str, email: str, viewport: ViewportSize) -> Page:
    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, f"{base}/accounts/login/", email)
    return page


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


@pytest.mark.browser
@pytest.mark.parametrize(("manager_view", "partner_view"), [(WIDE, PHONE), (PHONE, WIDE)])
def test_a_reply_is_reviewed_sent_read_and_answered(
    live_server_url: str,
    committed: Callable[[Callable[[], Any]], None],
    tenant_a: Any,
    manager_view: ViewportSize,
    partner_view: ViewportSize,
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    ref = f"conv-{marker}"

    # given a manager, their partner with a portal user, and the partner's open request;
    # committed, so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(
            role=Role.MANAGER, email=f"conv-m-{marker}@example.com", full_name="Maria Manager"
        )
    users = [manager]

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            # Requests and their messages go with their partner.
            Partner.objects.filter(ref=ref).delete()
            Partner.history.filter(ref=ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk__in=[user.pk for user in users]).delete()

    committed(clean_up)
    with tenant_schema(tenant_a):
        partner = PartnerFactory.create(
            ref=ref,
            name=f"Northwind {marker}",
            channel_manager=manager,
            contact_email=f"support-{marker}@example.com",
        )
        partner_user = UserFactory.create(
            role=Role.PARTNER, partner=partner, email=f"conv-p-{marker}@example.com"
        )
        users.append(partner_user)
        request = partner_request_open(
            partner=partner,
            subject="Portal login fails",
            description="Both our users get *invalid password* after a reset.",
            raised_by=partner_user,
        )
    base = f"http://{tenant_a.slug}.localhost:{urlsplit(live_server_url).port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # when the manager opens the request and writes a first response
            staff = signed_in(browser, base, manager.email, manager_view)
            staff.goto(f"{base}/slas/requests/{request.pk}/")
            conversation = staff.locator("#conversation")
            expect(conversation).to_contain_text("Both our users get invalid password")
            assert_no_sideways_scroll(staff)
            staff.get_by_label("Reply to the partner").fill(
                "We **reset** both accounts.\n\nPlease try again."
            )
            staff.get_by_role("button", name="Review the first response").click()

            # then the review page shows it formatted, who gets it, and sends nothing yet
            expect(
                staff.get_by_role("heading", name="Check the reply before it is sent")
            ).to_be_visible()
            expect(staff.locator("#reply-preview strong")).to_have_text("reset")
            expect(staff.locator("#reply-effects")).to_contain_text(
                f"E-mailed to {partner_user.email}, {partner.contact_email}"
            )
            expect(staff.locator("#reply-effects")).to_contain_text("that clock stops now")
            assert_no_sideways_scroll(staff)

            # when they send it
            staff.get_by_role("button", name="Send the reply").click()

            # then the request's page shows it as the first response, the clock met
            expect(staff.locator(".alert-success")).to_contain_text("on its way to the partner")
            expect(conversation).to_contain_text("First response")
            expect(conversation).to_contain_text("Please try again.")
            expect(staff.locator("#request-clocks")).to_contain_text("Met")

            # when the partner's user opens the request in the portal and answers
            portal = signed_in(browser, base, partner_user.email, partner_view)
            portal.goto(f"{base}/portal/requests/{request.pk}/")
            portal_conversation = portal.locator("#conversation")
            expect(portal_conversation).to_contain_text("Maria Manager")
            expect(portal_conversation.locator("strong")).to_have_text("reset")
            assert_no_sideways_scroll(portal)
            portal.get_by_label("Your answer").fill("One of them can sign in now.")
            # sent twice at once (a double click): the page lets the first one go only
            portal.evaluate(
                """() => {
                    const seen = [];
                    window.addEventListener("submit", (event) => {
                        seen.push(event.defaultPrevented);
                        sessionStorage.setItem("submits", JSON.stringify(seen));
                    });
                    const form = document.querySelector("#answer form");
                    form.requestSubmit();
                    form.requestSubmit();
                }"""
            )

            # then it is in the portal's conversation, after the reply
            expect(portal_conversation).to_contain_text("One of them can sign in now.")
            entries = portal_conversation.locator(":scope > li")
            expect(entries).to_have_count(3)
            expect(entries.nth(2)).to_contain_text("Answer from the partner")
            portal.wait_for_url("**#conversation")
            assert portal.evaluate("sessionStorage.getItem('submits')") == "[false,true]"
            assert_no_sideways_scroll(portal)

            # and the manager reads it on the request's page
            staff.reload()
            expect(conversation.locator(":scope > li").nth(2)).to_contain_text(
                "One of them can sign in now."
            )
            assert_no_sideways_scroll(staff)
        finally:
            browser.close()

    # and the server stored the reply and the answer, each once
    with tenant_schema(tenant_a):
        kinds = list(request.messages.values_list("kind", flat=True))
    assert kinds == ["response", "note"]
