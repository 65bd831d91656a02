"""The import's column mapping in a real browser: Chromium (Debian's package) driven
by Playwright against gunicorn on the test database, with the real Celery worker
checking and importing the file."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from playwright.sync_api import expect, sync_playwright

from partners.models import ImportJob, Partner
from prm.accounts.models import Role, User
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import tenant_schema
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.timeout(180)
def test_a_manager_maps_a_crm_sheet_and_imports_it(
    live_server_url: str,
    committed: Callable[[Callable[[], Any]], None],
    tenant_a: Any,
    tmp_path: Path,
) -> None:
    chromium = chromium_path()
    marker = uuid.uuid4().hex[:8]
    names = [f"Mapped {marker} Networks Ltd", f"Mapped {marker} Trading GmbH"]
    refs = [f"mapped-{marker}-networks-ltd", f"mapped-{marker}-trading-gmbh"]

    # given a channel manager of alpha, committed so the server and the worker see it,
    # and a sheet with a CRM's headers and a column the registry has no field for
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        manager = UserFactory.create(role=Role.MANAGER, email=f"mapper-{marker}@example.com")

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Partner.objects.filter(ref__in=refs).delete()
            Partner.history.filter(ref__in=refs).delete()
            ImportJob.objects.filter(created_by=manager).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()
            User.objects.filter(pk=manager.pk).delete()

    committed(clean_up)
    sheet = tmp_path / "crm-export.csv"
    sheet.write_text(
        "Company Name,Website,Country,Fax\n"
        f"{names[0]},networks-{marker}.example,GB,+44 20 7946 0000\n"
        f"{names[1]},trading-{marker}.example,DE,\n"
    )
    port = urlsplit(live_server_url).port
    base = f"http://{tenant_a.slug}.localhost:{port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            # when the manager signs in and uploads the sheet
            sign_in(page, f"{base}/partners/import/", manager.email)
            page.get_by_label("File").set_input_files(str(sheet))
            page.get_by_role("button", name="Upload and check").click()

            # then, once the worker has read it, each column shows its suggested field
            expect(
                page.get_by_role("heading", name="Match the file's columns to partner fields")
            ).to_be_visible(timeout=30_000)
            expect(page.get_by_label("Company Name")).to_have_value("name")
            expect(page.get_by_label("Website")).to_have_value("domain")
            expect(page.get_by_label("Country")).to_have_value("country")
            expect(page.get_by_label("Fax")).to_have_value("")
            expect(page.get_by_text("No field matches this name")).to_be_visible()

            # when the manager leaves the name out and confirms, then the page says why not
            page.get_by_label("Company Name").select_option("")
            page.get_by_role("button", name="Check the rows with this mapping").click()
            expect(
                page.get_by_text("Choose the column that holds the business name")
            ).to_be_visible()

            # when the manager puts the suggestion back and confirms
            page.get_by_label("Company Name").select_option("name")
            page.get_by_role("button", name="Check the rows with this mapping").click()

            # then the check shows the refs made from the names and what it would do
            expect(page.get_by_role("heading", name="What the import would do")).to_be_visible(
                timeout=30_000
            )
            expect(page.get_by_text("each partner's ref is made from its name")).to_be_visible()
            expect(page.get_by_role("cell", name=refs[0], exact=True)).to_be_visible()
            expect(page.get_by_text("Left out: Fax.")).to_be_visible()

            # when the manager runs the import
            page.get_by_role("button", name="Run the import (2 rows)").click()

            # then the worker imports both partners
            expect(page.get_by_text("2 partners created, 0 updated, 0 rows failed.")).to_be_visible(
                timeout=30_000
            )
        finally:
            browser.close()

    # and the partners have the refs, domains and countries of the sheet
    with tenant_schema(tenant_a):
        assert set(
            Partner.objects.filter(ref__in=refs).values_list("ref", "domain", "country")
        ) == {
            (refs[0], f"networks-{marker}.example", "GB"),
            (refs[1], f"trading-{marker}.example", "DE"),
        }
