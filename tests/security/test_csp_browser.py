"""Every page keeps working under the Content-Security-Policy: Chromium (Debian's
package, driven by Playwright against gunicorn on the test database) opens the login
page, the dashboard, the partner list and a partner page, the SLA policies, the
partner portal and the API docs, and no page breaks the policy (no inline script,
event handler or style attribute; nothing from another host), while each still does
its job (charts drawn, the Swagger UI's operations listed)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Page, expect, sync_playwright

from partners.models import Partner, PartnerUser
from prm.accounts.models import User
from reporting.ingest import ingest
from reporting.models import Order, PendingRollup
from reporting.rollups import fold_all
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.conftest import tenant_schema
from tests.factories import DEFAULT_PASSWORD, PartnerFactory, UserFactory

# Reports what the browser refused, in the page's own console; Playwright's init
# scripts are injected outside the page's policy.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.URL}:${event.lineNumber}`
  );
});
"""
INSERT_INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__inlineRan = true;";
  document.body.append(script);
}"""
CHARTS_DRAWN = (
    'Array.from(document.querySelectorAll("canvas[data-chart]"))'
    ".filter((canvas) => canvas.dataset.drawn).length"
)


class Violations:
    """What the policy refused on each page, from the event and the console."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def on_this_page(self) -> list[str]:
        self.page.wait_for_load_state("networkidle")
        seen = list(self.page.evaluate("window.__cspViolations")) + self.console
        self.console.clear()
        return seen


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]

    # given an admin of alpha, a partner with a won order and a portal user; committed,
    # so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        admin = UserFactory.create(role="admin", email=f"admin-{marker}@example.com")
        partner = PartnerFactory.create(
            ref=f"csp-{marker}", name=f"Policy {marker} Ltd", channel_manager=admin
        )
        portal_user = UserFactory.create(
            role="partner", partner=partner, email=f"portal-{marker}@example.com"
        )
        now = timezone.now()
        result = ingest(
            kind="orders",
            rows=[
                {
                    "external_id": f"csp-{marker}",
                    "partner": partner.ref,
                    "status": "won",
                    "amount": "120.00",
                    "ordered_at": now.isoformat(),
                    "closed_at": now.isoformat(),
                }
            ],
        )
        assert not result.errors
        fold_all()

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Order.objects.filter(partner=partner).delete()
            PendingRollup.objects.filter(partner_id=partner.pk).delete()
            PartnerUser.objects.filter(partner=partner).delete()
            Partner.objects.filter(pk=partner.pk).delete()
            Partner.history.filter(ref=partner.ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(email__endswith=f"-{marker}@example.com").delete()

    committed(clean_up)
    base = f"http://{tenant_a.slug}.localhost:{urlsplit(live_server_url).port}"
    refused: dict[str, list[str]] = {}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for user, pages in (
                (admin, ["/", "/partners/", f"/partners/{partner.ref}/", "/slas/", "/api/docs/"]),
                (portal_user, ["/portal/", "/portal/scorecard/"]),
            ):
                context = browser.new_context()
                context.add_init_script(LISTEN_FOR_VIOLATIONS)
                page = context.new_page()
                violations = Violations(page)

                # when the user opens the login page and signs in
                page.goto(f"{base}/accounts/login/")
                refused[f"{user.role} /accounts/login/"] = violations.on_this_page()
                page.get_by_label("E-mail").fill(user.email)
                page.get_by_label("Password").fill(DEFAULT_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")

                # and opens each page
                for path in pages:
                    page.goto(f"{base}{path}")
                    if path in ("/", f"/partners/{partner.ref}/", "/portal/scorecard/"):
                        # (charts are drawn by our static script: it ran)
                        expect(page.locator("canvas[data-chart]").first).to_be_visible()
                        page.wait_for_function(f"{CHARTS_DRAWN} > 0")
                    if path == "/api/docs/":
                        # (Swagger UI ran its set-up script and read the document)
                        expect(page.locator(".opblock").first).to_be_visible()
                    refused[f"{user.role} {path}"] = violations.on_this_page()

                # and, to show the watch works, a page is made to run an inline script
                page.evaluate(INSERT_INLINE_SCRIPT)
                watched = violations.on_this_page()
                ran = page.evaluate("window.__inlineRan === true")
                context.close()
        finally:
            browser.close()

    # then no page broke the policy
    assert {where: seen for where, seen in refused.items() if seen} == {}
    assert len(refused) == 9
    # while the inline script was refused and reported
    assert not ran
    assert any("script-src" in violation for violation in watched), watched
