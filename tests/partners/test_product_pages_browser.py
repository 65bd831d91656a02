"""A freshly provisioned tenant is set up from the browser: its administrator, starting
from the home's getting-started checklist, creates a product and a tier with its terms
through their forms (each form's defaults kept wherever it has one), sees the steps
ticked, and keeps the organisation's settings by saving them as shown. Chromium
(Debian's) through Playwright, against gunicorn on the test database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from partners.models import Product, Tier
from prm.tenancy.selectors import tenant_host_cache_clear
from prm.tenancy.services import TenantAdmin, host_for, tenant_delete, tenant_provision
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import DEFAULT_PASSWORD

# The tenant name's colour against the navigation bar's, with its opacity, as WCAG
# computes contrast (relative luminance of sRGB).
CONTRAST_SCRIPT = """
(element) => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const style = getComputedStyle(element);
  const [r, g, b, a = 1] = rgb(style.color);
  const alpha = a * Number(style.opacity);
  const back = rgb(getComputedStyle(element.closest("nav")).backgroundColor);
  const shown = [r, g, b].map((c, i) => c * alpha + back[i] * (1 - alpha));
  const luminance = (c) => {
    const [x, y, z] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * x + 0.7152 * y + 0.0722 * z;
  };
  const [high, low] = [luminance(shown), luminance(back)].sort((p, q) => q - p);
  return (high + 0.05) / (low + 0.05);
}
"""


def step_done(page: Page, step: str) -> str | None:
    return page.locator(f'#getting-started [data-step="{step}"]').get_attribute("data-done")


@pytest.mark.browser
def test_a_new_tenant_gets_its_products_and_tiers_from_the_checklist(
    live_server_url: str, committed: Callable[[Callable[[], Any]], None]
) -> None:
    chromium = chromium_path()
    slug = f"fresh-{uuid.uuid4().hex[:8]}"
    admin_email = f"admin@{slug}.example"

    # given a tenant provisioned just now, with its administrator and nothing else
    tenant = tenant_provision(
        slug=slug,
        name="Fresh Co",
        admin=TenantAdmin(email=admin_email, password=DEFAULT_PASSWORD),
    )

    def clean_up() -> None:
        tenant_delete(tenant=tenant)
        tenant_host_cache_clear(hostname=host_for(slug))

    committed(clean_up)
    base = f"http://{slug}.localhost:{urlsplit(live_server_url).port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})

            # when the administrator signs in
            sign_in(page, f"{base}/", admin_email)

            # then the home shows the checklist with nothing done yet
            checklist = page.locator("#getting-started")
            expect(checklist).to_be_visible()
            expect(page.locator("#getting-started-progress")).to_have_text("0 of 5 done")
            # and the navigation bar's tenant name reads at 4.5:1 or better
            tenant_name = page.locator("#navbar-tenant")
            expect(tenant_name).to_contain_text("Fresh Co")
            assert tenant_name.evaluate(CONTRAST_SCRIPT) >= 4.5

            # when they add a product from the checklist, typing only its name
            checklist.get_by_role("link", name="Add a product").click()
            expect(page.get_by_label("Offered to partners")).to_be_checked()
            page.get_by_label("Name").fill("Router X1")
            page.get_by_role("button", name="Create product").click()

            # then it is listed, with the SKU its name gave and no partners yet
            expect(
                page.get_by_text("The product “Router X1” (router-x1) is created.")
            ).to_be_visible()
            row = page.locator("#product-router-x1")
            expect(row).to_contain_text("Offered")

            # when they go home, then the products step is ticked
            page.get_by_role("link", name="Dashboard").click()
            expect(page.locator("#getting-started-progress")).to_have_text("1 of 5 done")
            assert step_done(page, "products") == "yes"
            assert step_done(page, "tiers") == "no"

            # when they add a tier with its terms from the checklist, rank and slug left
            page.locator("#getting-started").get_by_role("link", name="Add a tier").click()
            expect(page.get_by_label("Rank")).to_have_value("0")
            page.get_by_label("Name").fill("Gold Partner")
            page.get_by_label("Roles").fill("Resell the **whole** catalogue.")
            page.get_by_label("Responsibilities").fill("Two certified engineers.")
            page.get_by_label("Benefits").fill("30% margin on list prices.")
            page.get_by_role("button", name="Create tier").click()

            # then the tier is listed with its terms rendered
            expect(page.get_by_text("The tier “Gold Partner” is created.")).to_be_visible()
            tier = page.locator("#tier-gold-partner")
            expect(tier.locator("strong", has_text="whole")).to_be_visible()
            expect(tier).to_contain_text("30% margin on list prices.")

            # and home ticks the tiers step too; three steps are left
            page.get_by_role("link", name="Dashboard").click()
            expect(page.locator("#getting-started-progress")).to_have_text("2 of 5 done")
            assert step_done(page, "tiers") == "yes"
            assert step_done(page, "manager") == "no"

            # when the organisation's settings are saved as the form shows them
            page.goto(f"{base}/settings/organisation/")
            expect(page.get_by_label("Time zone")).to_have_value("UTC")
            page.get_by_role("button", name="Save settings").click()

            # then nothing changes, and the page says so
            expect(page.get_by_text("Nothing changed.")).to_be_visible()
        finally:
            browser.close()

    # and the tenant has exactly what the forms made, with their defaults
    with tenant_schema(tenant):
        assert list(Product.objects.values_list("sku", "name", "is_active")) == [
            ("router-x1", "Router X1", True)
        ]
        assert list(Tier.objects.values_list("slug", "rank", "benefits")) == [
            ("gold-partner", 0, "30% margin on list prices.")
        ]
