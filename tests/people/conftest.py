"""A web server for the people browser test whose mail lands in files the test reads
(tests/people/mail_settings.py): the shared live server keeps mail in its own memory."""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, _log_tail, _test_database_url

START_SECONDS = 60
SEPARATOR = "\n" + "-" * 79 + "\n"


@dataclass
class MailServer:
    url: str
    mail_dir: Path

    def messages(self) -> list[email.message.Message]:
        found = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_text().split(SEPARATOR):
                if chunk.strip():
                    found.append(email.message_from_string(chunk.lstrip("\n")))
        return found

    def bodies_to(self, address: str) -> list[str]:
        bodies = []
        for message in self.messages():
            if address in str(message.get("To", "")):
                payload = message.get_payload(decode=True)
                assert isinstance(payload, bytes)
                bodies.append(payload.decode())
        return bodies


@pytest.fixture(scope="module")
def mail_live_server(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MailServer]:
    from django.conf import settings

    mail_dir = tmp_path_factory.mktemp("mail")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.people.mail_settings",
        "PRM_TEST_MAIL_DIR": str(mail_dir),
        "DATABASE_URL": _test_database_url(settings.DATABASES["default"]["NAME"]),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = tmp_path_factory.mktemp("web") / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "prm.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{_log_tail(log_path)}")
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in time:\n{_log_tail(log_path)}")
            time.sleep(0.2)
        yield MailServer(url=url, mail_dir=mail_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
