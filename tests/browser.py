"""What the browser tests share: Debian's Chromium, launched for tenant hosts."""

import shutil

import pytest
from playwright.sync_api import Page

from tests.factories import DEFAULT_PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Tenants are served at <slug>.localhost; send them all to the loopback server.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "Chromium is not installed: the browser tests drive Debian's chromium "
            "package (apt-get install chromium); `shutil.which('chromium')` found nothing."
        )
    return path


def sign_in(page: Page, url: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Open `url` (a page that asks to sign in first, or the login page) and sign in."""
    page.goto(url)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
