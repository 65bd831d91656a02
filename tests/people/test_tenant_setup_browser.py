"""Issue 16's acceptance, in one run of a real browser (Chromium, Debian's package,
through Playwright, against gunicorn on the test database, its mail written to files):
from a tenant provisioned just now, the administrator creates a product and a tier
with its terms, a partner of that tier, and invites a channel manager and a partner
user of the new partner; the partner user sets a password through the mailed link and
lands in the portal reading its tier's terms; the administrator deactivates the
manager, whose open session stops working on its next request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from partners.models import Partner, PartnerUser
from prm.accounts.models import User
from prm.tenancy.selectors import tenant_host_cache_clear
from prm.tenancy.services import TenantAdmin, host_for, tenant_delete, tenant_provision
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import DEFAULT_PASSWORD
from tests.people.conftest import MailServer

WIDE: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
CHOSEN_PASSWORD = "quince-harbour-42"


def invite(page: Page, *, email: str, name: str, role: str, partner_ref: str = "") -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Settings"
    ).click()
    page.get_by_role("navigation", name="Settings sections").get_by_role(
        "link", name="People"
    ).click()
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Role").select_option(role)
    if partner_ref:
        page.get_by_label("Partner (partner users only)").select_option(partner_ref)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"An invitation is on its way to {email}")).to_be_visible()


def set_password(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(CHOSEN_PASSWORD)
    page.get_by_label("New password confirmation").fill(CHOSEN_PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()


@pytest.mark.browser
def test_a_new_tenant_is_set_up_and_staffed_from_the_browser(
    mail_live_server: MailServer, committed: Callable[[Callable[[], Any]], None]
) -> None:
    chromium = chromium_path()
    slug = f"setup-{uuid.uuid4().hex[:8]}"
    admin_email = f"admin@{slug}.example"
    manager_email = f"mona@{slug}.example"
    portal_email = f"pia@{slug}.example"

    # given a tenant provisioned just now, with its administrator and nothing else
    tenant = tenant_provision(
        slug=slug, name="Quince Co", admin=TenantAdmin(email=admin_email, password=DEFAULT_PASSWORD)
    )

    def clean_up() -> None:
        tenant_delete(tenant=tenant)
        tenant_host_cache_clear(hostname=host_for(slug))

    committed(clean_up)
    base = f"http://{slug}.localhost:{urlsplit(mail_live_server.url).port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            admin = browser.new_context(viewport=WIDE).new_page()
            admin.on("dialog", lambda dialog: dialog.accept())
            sign_in(admin, f"{base}/", admin_email)

            # when the administrator creates a product and a tier with its terms
            admin.locator("#getting-started").get_by_role("link", name="Add a product").click()
            admin.get_by_label("Name").fill("Quince Router")
            admin.get_by_role("button", name="Create product").click()
            expect(admin.get_by_text("(quince-router) is created.")).to_be_visible()
            admin.goto(f"{base}/")
            admin.locator("#getting-started").get_by_role("link", name="Add a tier").click()
            admin.get_by_label("Name").fill("Gold")
            admin.get_by_label("Roles").fill("Resell the **whole** catalogue.")
            admin.get_by_label("Responsibilities").fill("Two certified engineers.")
            admin.get_by_label("Benefits").fill("A 30% margin on list prices.")
            admin.get_by_role("button", name="Create tier").click()
            expect(admin.get_by_text("The tier “Gold” is created.")).to_be_visible()

            # and a partner of that tier offering the product
            admin.goto(f"{base}/partners/new/")
            admin.get_by_label("Business name").fill("Harbour Networks Ltd")
            admin.get_by_label("Website domain").fill("https://www.harbour-networks.example/")
            admin.get_by_label("Main telephone").fill("+44 20 7946 0958")
            admin.get_by_label("Country").select_option("GB")
            admin.get_by_label("Tier").select_option(label="Gold")
            admin.get_by_role("checkbox", name=re.compile("Quince Router")).check()
            admin.get_by_role("button", name="Create partner").click()
            expect(admin.get_by_text("Harbour Networks Ltd is in the registry.")).to_be_visible()
            # (the partner's page is at /partners/<its ref, suggested from its name>/)
            partner_ref = urlsplit(admin.url).path.strip("/").split("/")[-1]

            # and invites a channel manager, and a partner user of the new partner
            invite(admin, email=manager_email, name="Mona Field", role="manager")
            invite(
                admin,
                email=portal_email,
                name="Pia Stone",
                role="partner",
                partner_ref=partner_ref,
            )

            # and the manager sets a password through the mailed link and works
            manager = browser.new_context(viewport=WIDE).new_page()
            set_password(manager, mail_live_server.invitation_link(manager_email, base))
            expect(manager).to_have_url(f"{base}/")
            manager.goto(f"{base}/partners/")
            expect(manager.get_by_role("link", name="Harbour Networks Ltd")).to_be_visible()

            # when the partner user sets a password through theirs, at phone width
            portal = browser.new_context(viewport=PHONE).new_page()
            set_password(portal, mail_live_server.invitation_link(portal_email, base))

            # then it lands in its partner's portal, reading the tier's terms
            expect(portal).to_have_url(f"{base}/portal/")
            expect(portal.get_by_role("heading", name="Harbour Networks Ltd")).to_be_visible()
            expect(portal.locator("strong", has_text="whole")).to_be_visible()
            expect(portal.get_by_text("Two certified engineers.")).to_be_visible()
            expect(portal.get_by_text("A 30% margin on list prices.")).to_be_visible()

            # when the administrator deactivates the manager
            admin.goto(f"{base}/settings/people/")
            admin.get_by_role("link", name="Manage Mona Field").click()
            admin.get_by_role("button", name="Deactivate").click()
            expect(admin.get_by_text("is deactivated and signed out everywhere")).to_be_visible()

            # then the manager's open session stops working on its next request
            manager.goto(f"{base}/partners/")
            expect(manager).to_have_url(re.compile(r"/accounts/login/\?next=/partners/$"))
            # while the partner user's goes on
            portal.reload()
            expect(portal).to_have_url(f"{base}/portal/")
        finally:
            browser.close()

    # and the registry has what the forms made: the domain cleaned, the link in place
    with tenant_schema(tenant):
        partner = Partner.objects.get(ref=partner_ref)
        assert partner.name == "Harbour Networks Ltd"
        assert partner.domain == "harbour-networks.example"
        assert partner.tier is not None
        assert partner.tier.name == "Gold"
        assert list(partner.products.values_list("sku", flat=True)) == ["quince-router"]
        assert PartnerUser.objects.get(user__email=portal_email).partner_id == partner.pk
        assert not User.objects.get(email=manager_email).is_active
