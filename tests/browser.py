"""What the browser tests share: Debian's Chromium, launched for tenant hosts."""

import shutil

import pytest

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
