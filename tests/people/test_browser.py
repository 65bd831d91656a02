"""People in a real browser (Chromium, Debian's package, driven by Playwright against
gunicorn on the test database): the admin invites a manager and a partner user linked
to a partner; the partner user follows the mailed link, sets a password and lands in
its portal; the admin deactivates the manager, whose open session (another browser
context, signed in) stops working on its next request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from playwright.sync_api import ViewportSize, expect, sync_playwright

from partners.models import Partner, PartnerUser
from prm.accounts.models import User
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import PROJECT_DIR, tenant_schema
from tests.factories import PartnerFactory, UserFactory
from tests.people.conftest import MailServer

SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"
WIDE: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
CHOSEN_PASSWORD = "orchard-ladder-77"


@pytest.mark.browser
def test_invite_a_manager_and_a_partner_user_then_deactivate_the_manager(
    mail_live_server: MailServer,
    committed: Callable[[Callable[[], Any]], None],
    tenant_a: Any,
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    manager_email = f"mgr-{marker}@example.com"
    portal_email = f"portal-{marker}@example.com"

    # given an admin of alpha and a partner, committed so the server sees them
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        admin = UserFactory.create(
            role="admin", email=f"admin-{marker}@example.com", full_name=f"Ada {marker}"
        )
        partner = PartnerFactory.create(ref=f"pp-{marker}", name=f"Pelican {marker} Ltd")
        owner_id = partner.channel_manager_id

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            PartnerUser.objects.filter(partner=partner).delete()
            Partner.objects.filter(pk=partner.pk).delete()
            Partner.history.filter(ref=partner.ref).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(email__endswith=f"-{marker}@example.com").delete()
            User.objects.filter(pk=owner_id).delete()

    committed(clean_up)
    port = urlsplit(mail_live_server.url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            admin_page = browser.new_context(viewport=WIDE).new_page()
            admin_page.on("dialog", lambda dialog: dialog.accept())

            # when the admin signs in and invites a manager from Settings → People
            sign_in(admin_page, f"{base}/accounts/login/", admin.email)
            admin_page.get_by_role("navigation", name="Main navigation").get_by_role(
                "link", name="Settings"
            ).click()
            admin_page.get_by_role("navigation", name="Settings sections").get_by_role(
                "link", name="People"
            ).click()
            admin_page.get_by_role("link", name="Invite a person").click()
            admin_page.get_by_label("E-mail").fill(manager_email)
            admin_page.get_by_label("Name").fill(f"Mona {marker}")
            admin_page.get_by_label("Role").select_option("manager")
            # (the partner select is only for partner users)
            expect(admin_page.get_by_label("Partner (partner users only)")).to_be_hidden()
            admin_page.get_by_role("button", name="Send invitation").click()

            # then the invitation is on its way, and the manager is listed as invited
            expect(
                admin_page.get_by_text(f"An invitation is on its way to {manager_email}")
            ).to_be_visible()
            expect(admin_page.locator(f'tr[data-person="{manager_email}"]')).to_contain_text(
                "invited"
            )

            # when the admin invites a partner user of the partner, in the same form
            admin_page.get_by_role("link", name="Invite a person").click()
            admin_page.get_by_label("E-mail").fill(portal_email)
            admin_page.get_by_label("Name").fill(f"Pia {marker}")
            admin_page.get_by_label("Role").select_option("partner")
            admin_page.get_by_label("Partner (partner users only)").select_option(partner.ref)
            admin_page.screenshot(path=str(SCREENSHOTS / "people-invite-wide.png"), full_page=True)
            admin_page.get_by_role("button", name="Send invitation").click()
            expect(admin_page.locator(f'tr[data-person="{portal_email}"]')).to_contain_text(
                partner.name
            )
            admin_page.screenshot(path=str(SCREENSHOTS / "people-list-wide.png"), full_page=True)

            # and the manager follows their mailed link and sets a password
            manager_page = browser.new_context(viewport=WIDE).new_page()
            manager_page.goto(mail_live_server.invitation_link(manager_email, base))
            manager_page.get_by_label("New password", exact=True).fill(CHOSEN_PASSWORD)
            manager_page.get_by_label("New password confirmation").fill(CHOSEN_PASSWORD)
            manager_page.get_by_role("button", name="Set password and sign in").click()
            expect(manager_page).to_have_url(f"{base}/")
            manager_page.goto(f"{base}/partners/")
            expect(manager_page).to_have_url(f"{base}/partners/")

            # when the partner user follows theirs at phone width
            portal_page = browser.new_context(viewport=PHONE).new_page()
            portal_page.goto(mail_live_server.invitation_link(portal_email, base))
            expect(
                portal_page.get_by_role("heading", name=f"Welcome, Pia {marker}")
            ).to_be_visible()
            portal_page.get_by_label("New password", exact=True).fill(CHOSEN_PASSWORD)
            portal_page.get_by_label("New password confirmation").fill(CHOSEN_PASSWORD)
            portal_page.get_by_role("button", name="Set password and sign in").click()

            # then it lands in its partner's portal
            expect(portal_page).to_have_url(f"{base}/portal/")
            expect(portal_page.get_by_role("heading", name=partner.name)).to_be_visible()
            portal_page.screenshot(
                path=str(SCREENSHOTS / "people-portal-phone.png"), full_page=True
            )

            # when the admin deactivates the manager
            admin_page.goto(f"{base}/settings/people/")
            admin_page.get_by_role("link", name=f"Manage Mona {marker}").click()
            admin_page.get_by_role("button", name="Deactivate").click()
            expect(
                admin_page.get_by_text("is deactivated and signed out everywhere")
            ).to_be_visible()

            # then the manager's open session stops working on its next request
            manager_page.goto(f"{base}/partners/")
            expect(manager_page).to_have_url(re.compile(r"/accounts/login/\?next=/partners/$"))
        finally:
            browser.close()

    # and the partner user is linked to the partner, the manager inactive
    with tenant_schema(tenant_a):
        assert PartnerUser.objects.get(user__email=portal_email).partner_id == partner.pk
        assert not User.objects.get(email=manager_email).is_active
