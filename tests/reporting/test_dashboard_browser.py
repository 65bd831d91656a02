"""The channel manager dashboard in a real browser: Chromium (Debian's package) driven
by Playwright against gunicorn on the test database (`live_server_url`), with the
session's real Celery worker folding the rollups (`worker` mark)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from reporting.scorecard import TILES_BY_KEY
from tests.browser import CHROMIUM_ARGS, chromium_path, sign_in
from tests.conftest import PROJECT_DIR, TenantClient, tenant_schema
from tests.reporting.activity import call, contact, order
from tests.reporting.conftest import CommittedAlpha
from tests.waiting import wait_for

SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


@pytest.fixture
def no_leftover_sessions(committed: Callable[[Callable[[], Any]], None], tenant_a: Any) -> None:
    """Sessions and login records the browser leaves in alpha are deleted afterwards."""
    with tenant_schema(tenant_a):
        sessions_before = set(Session.objects.values_list("session_key", flat=True))
        last_log = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            Session.objects.exclude(session_key__in=sessions_before).delete()
            AccessLog.objects.filter(pk__gt=last_log).delete()

    committed(clean_up)


@pytest.fixture
def browser_page(live_server_url: str) -> Iterator[Page]:
    chromium = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport=DESKTOP)
        finally:
            browser.close()


def base_url(live_server_url: str, tenant: Any) -> str:
    return f"http://{tenant.slug}.localhost:{urlsplit(live_server_url).port}"


def sign_in_to_dashboard(page: Page, url: str, email: str) -> None:
    """Open `url`, which sends a stranger to the login form, and sign in."""
    sign_in(page, url, email)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()


class Api:
    """The tenant's API over HTTP on the live server, with a committed key. (Playwright
    runs an event loop in this thread, so the ORM and Django's test client refuse to
    work while the browser is open; a real HTTP client is what an integrator uses.)"""

    def __init__(self, live_server_url: str, tenant: Any, client: TenantClient) -> None:
        self.root = live_server_url
        self.headers = {
            "Host": f"{tenant.slug}.localhost:{urlsplit(live_server_url).port}",
            "Authorization": client.defaults["HTTP_AUTHORIZATION"],
        }

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = f"?{urlencode(params)}" if params else ""
        url = f"{self.root}{path}{query}"
        request = urllib.request.Request(url, headers=self.headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def post(self, kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310
            f"{self.root}/api/v1/activity/{kind}/",
            data=json.dumps(rows).encode(),
            headers={**self.headers, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
        assert body["errors"] == [], body
        return body

    def caught_up(self) -> bool:
        return bool(self.get("/api/v1/metrics/status/")["pending"] == 0)


def shown_number(text: str, unit: str) -> Decimal:
    """A tile's text (en_US, money in dollars) as a number in the API's unit."""
    number = Decimal(text.replace("$", "").replace(",", "").replace("%", "").split()[0])
    return number / 100 if unit == "percent" else number


@pytest.mark.browser
@pytest.mark.worker
def test_the_tiles_a_manager_sees_are_the_metrics_api_summary(
    committed_alpha: CommittedAlpha,
    no_leftover_sessions: None,
    browser_page: Page,
    live_server_url: str,
    tenant_a: Any,
) -> None:
    catalogue = committed_alpha.catalogue
    api = Api(live_server_url, tenant_a, committed_alpha.api)
    acme, bolt, cogs = (catalogue.ref(name) for name in ("acme", "bolt", "cogs"))

    # given January activity of the manager's three partners, folded by the worker
    for kind, rows in {
        "orders": [
            order(
                "br-1",
                acme,
                amount="1200.00",
                cost="700.00",
                quantity=3,
                ordered_at="2026-01-05T09:00:00Z",
                closed_at="2026-01-06T10:00:00Z",
            ),
            order(
                "br-2",
                acme,
                amount="80.50",
                quantity=1,
                channel="online_store",
                ordered_at="2026-01-10T09:00:00Z",
                closed_at="2026-01-20T10:00:00Z",
            ),
            order(
                "br-3",
                bolt,
                status="lost",
                ordered_at="2026-01-11T09:00:00Z",
                closed_at="2026-01-12T10:00:00Z",
            ),
            order(
                "br-4",
                bolt,
                amount="19.99",
                quantity=2,
                channel="display_shelf",
                ordered_at="2026-01-13T09:00:00Z",
                closed_at="2026-01-14T10:00:00Z",
            ),
        ],
        "calls": [
            call("br-c1", acme, occurred_at="2026-01-07T09:00:00Z", duration_seconds=5400),
            call("br-c2", cogs, direction="received", occurred_at="2026-01-08T09:00:00Z"),
        ],
        "contacts": [
            contact("br-l1", cogs, created_at="2026-01-09T09:00:00Z"),
            contact(
                "br-l2",
                cogs,
                created_at="2026-01-09T10:00:00Z",
                converted_at="2026-01-15T10:00:00Z",
            ),
        ],
    }.items():
        api.post(kind, rows)
    wait_for(api.caught_up, timeout=60)

    # when their manager signs in and opens the dashboard for January
    page = browser_page
    sign_in_to_dashboard(
        page,
        f"{base_url(live_server_url, tenant_a)}/?from=2026-01-01&to=2026-01-31",
        catalogue.manager.email,
    )
    tiles = page.locator(".prm-tile").evaluate_all(
        """tiles => tiles.map(tile => ({
            key: tile.dataset.metric,
            raw: tile.dataset.value,
            text: tile.querySelector(".prm-tile-value").textContent.trim(),
        }))"""
    )

    # then every tile shows the number the summary API gives for the same partners
    summary = api.get(
        "/api/v1/metrics/summary/", {**JANUARY, "channel_manager": catalogue.manager.email}
    )
    assert summary["revenue"] == "1300.49"
    compared = 0
    for tile in tiles:
        if tile["key"] not in summary:
            continue
        expected = summary[tile["key"]]
        unit = TILES_BY_KEY[tile["key"]].unit
        assert tile["raw"] == ("" if expected is None else str(expected)), tile
        if expected is None:
            assert tile["text"] == "—", tile
        elif unit == "hours":
            assert shown_number(tile["text"], unit) == round(Decimal(expected) / 3600, 1), tile
        elif unit == "percent":
            assert shown_number(tile["text"], unit) == round(Decimal(expected), 3), tile
        elif unit == "days":
            assert shown_number(tile["text"], unit) == round(Decimal(expected), 2), tile
        else:
            assert shown_number(tile["text"], unit) == Decimal(str(expected)), tile
        compared += 1
    assert compared >= 20
    revenue_text = page.locator('.prm-tile[data-metric="revenue"] .prm-tile-value')
    expect(revenue_text).to_have_text("$1,300.49")

    # and every chart has a table of its numbers, opened from the keyboard
    summary_toggle = page.get_by_text("Table of “Revenue”", exact=True).first
    summary_toggle.focus()
    page.keyboard.press("Enter")
    revenue_table = page.locator("#chart-revenue table")
    expect(revenue_table).to_be_visible()
    expect(revenue_table.get_by_role("row", name="Jan 6, 2026")).to_contain_text("$1,200.00")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-january.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.worker
def test_an_order_posted_to_the_api_appears_on_the_open_dashboard(
    committed_alpha: CommittedAlpha,
    no_leftover_sessions: None,
    browser_page: Page,
    live_server_url: str,
    tenant_a: Any,
) -> None:
    catalogue = committed_alpha.catalogue
    api = Api(live_server_url, tenant_a, committed_alpha.api)
    page = browser_page

    # given the manager's dashboard open on this month, at phone width
    page.set_viewport_size(PHONE)
    sign_in_to_dashboard(page, f"{base_url(live_server_url, tenant_a)}/", catalogue.manager.email)
    revenue = page.locator('.prm-tile[data-metric="revenue"]')
    expect(revenue).to_have_attribute("data-value", "0.00")
    as_of_before = page.locator("#dashboard-as-of").get_attribute("datetime")
    page.evaluate("window.prmNotReloaded = true")
    # (nothing sticks out sideways on a phone: wide tables scroll in their own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-before.png"), full_page=True)

    # when an order is posted to the API and the worker folds it
    now = datetime.now(UTC).isoformat()
    bolt = catalogue.ref("bolt")
    body = api.post(
        "orders", [order("live-1", bolt, amount="123.45", ordered_at=now, closed_at=now)]
    )
    assert body["created"] == 1

    # then the open page shows it without a reload, with a newer "as of" time
    expect(revenue).to_have_attribute("data-value", "123.45", timeout=45_000)
    expect(revenue.locator(".prm-tile-value")).to_have_text("$123.45")
    expect(page.locator('.prm-tile[data-metric="orders_won"] .prm-tile-value')).to_have_text("1")
    assert page.evaluate("window.prmNotReloaded") is True
    assert page.locator("#dashboard-as-of").get_attribute("datetime") != as_of_before
    expect(page.locator("#leaderboard tbody tr").first).to_have_attribute(
        "data-partner", catalogue.ref("bolt")
    )
    page.screenshot(path=str(SCREENSHOTS / "dashboard-phone-after.png"), full_page=True)


LARGE: ViewportSize = {"width": 1440, "height": 900}


@pytest.mark.browser
@pytest.mark.worker
def test_an_open_table_panel_stays_open_across_live_refreshes(
    committed_alpha: CommittedAlpha,
    no_leftover_sessions: None,
    browser_page: Page,
    live_server_url: str,
    tenant_a: Any,
) -> None:
    catalogue = committed_alpha.catalogue
    api = Api(live_server_url, tenant_a, committed_alpha.api)
    page = browser_page
    acme = catalogue.ref("acme")

    # given the manager's dashboard (it polls every second in tests: settings.test's
    # PRM_DASHBOARD_POLL_SECONDS), its revenue table opened from the keyboard and the
    # page scrolled down to the calls chart
    sign_in_to_dashboard(page, f"{base_url(live_server_url, tenant_a)}/", catalogue.manager.email)
    page.evaluate(
        """() => {
            window.prmRefreshes = 0;
            document.body.addEventListener("htmx:afterSettle", (event) => {
                if (event.target.id === "dashboard-live") { window.prmRefreshes += 1; }
            });
        }"""
    )
    toggle = page.locator("#chart-revenue-panel-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#chart-revenue-panel")
    expect(panel).to_have_attribute("open", "")
    page.locator("#chart-calls").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    revenue = page.locator('.prm-tile[data-metric="revenue"]')

    for refresh in range(1, 4):
        # when an order arrives and the dashboard refreshes by itself
        now = datetime.now(UTC).isoformat()
        api.post(
            "orders",
            [
                order(
                    f"keep-{catalogue.tag}-{refresh}",
                    acme,
                    amount="10.00",
                    ordered_at=now,
                    closed_at=now,
                )
            ],
        )
        expect(revenue).to_have_attribute("data-value", f"{10 * refresh}.00", timeout=45_000)
        page.wait_for_function(f"window.prmRefreshes >= {refresh}", timeout=10_000)

        # then the table is still open and shows the new numbers, the focus is still on
        # its toggle, and the page has not jumped
        expect(panel).to_have_attribute("open", "")
        expect(panel.locator("table")).to_be_visible()
        expect(panel.locator("tbody")).to_contain_text(f"${10 * refresh}.00")
        assert page.evaluate("document.activeElement && document.activeElement.id") == (
            "chart-revenue-panel-toggle"
        )
        assert abs(page.evaluate("window.scrollY") - scrolled) <= 2
    assert page.evaluate("window.prmRefreshes") >= 3

    # and a panel the reader closes stays closed
    toggle.focus()
    page.keyboard.press("Enter")
    expect(panel).not_to_have_attribute("open", "")
    now = datetime.now(UTC).isoformat()
    api.post(
        "orders",
        [order(f"keep-{catalogue.tag}-4", acme, amount="10.00", ordered_at=now, closed_at=now)],
    )
    expect(revenue).to_have_attribute("data-value", "40.00", timeout=45_000)
    expect(panel).not_to_have_attribute("open", "")


@pytest.mark.browser
@pytest.mark.worker
def test_the_leaderboard_fits_a_large_screen_and_scrolls_in_its_box_on_a_phone(
    committed_alpha: CommittedAlpha,
    no_leftover_sessions: None,
    browser_page: Page,
    live_server_url: str,
    tenant_a: Any,
) -> None:
    catalogue = committed_alpha.catalogue
    api = Api(live_server_url, tenant_a, committed_alpha.api)
    page = browser_page

    # given January: partners with amounts in the millions, a win rate, a lost order
    api.post(
        "orders",
        [
            order(
                f"wide-{catalogue.tag}-{n}",
                catalogue.ref(name),
                status=status,
                amount=amount,
                cost="123456.78",
                quantity=12345,
                ordered_at="2026-01-05T09:00:00Z",
                closed_at="2026-01-06T10:00:00Z",
            )
            for n, (name, status, amount) in enumerate(
                [
                    ("acme", "won", "1234567.89"),
                    ("acme", "lost", "1000.00"),
                    ("bolt", "won", "987654.32"),
                    ("cogs", "won", "45900.00"),
                ]
            )
        ],
    )
    wait_for(api.caught_up, timeout=60)

    # when the manager opens January on a 1440 px screen
    page.set_viewport_size(LARGE)
    sign_in_to_dashboard(
        page,
        f"{base_url(live_server_url, tenant_a)}/?from=2026-01-01&to=2026-01-31",
        catalogue.manager.email,
    )
    leaderboard = page.locator("#leaderboard")
    expect(leaderboard.locator("tbody tr").first).to_contain_text("$1,234,567.89")

    # then the whole leaderboard is in view: its box does not scroll sideways
    box = leaderboard.evaluate(
        "table => ({scroll: table.parentElement.scrollWidth,"
        " client: table.parentElement.clientWidth})"
    )
    assert box["scroll"] <= box["client"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= LARGE["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-leaderboard-1440.png"), full_page=True)

    # and on a phone the page does not stick out: the table scrolls in its own box, and
    # the partner's name stays in view while it does
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name = leaderboard.locator("tbody tr").first.locator("th")
    before = name.bounding_box()
    leaderboard.evaluate("table => { table.parentElement.scrollLeft = 400; }")
    after = name.bounding_box()
    assert leaderboard.evaluate("table => table.parentElement.scrollLeft") > 0
    assert before is not None
    assert after is not None
    assert abs(after["x"] - before["x"]) < 40  # it stuck to the box's left edge
    page.screenshot(path=str(SCREENSHOTS / "dashboard-leaderboard-phone.png"), full_page=True)
