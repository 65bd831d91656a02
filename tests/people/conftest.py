"""A web server for the people browser test whose mail lands in files the test reads
(tests/people/mail_settings.py): the shared live server keeps mail in its own memory."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import live_web_server
from tests.people.helpers import LINK

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

    def invitation_link(self, address: str, base: str) -> str:
        """The set-password link of the last invitation mailed to `address`, on `base`."""
        bodies = self.bodies_to(address)
        assert bodies, f"no mail to {address}"
        match = LINK.search(bodies[-1])
        assert match, bodies[-1]
        return f"{base}{match.group(1)}"

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
    mail_dir = tmp_path_factory.mktemp("mail")
    with live_web_server(
        tmp_path_factory,
        DJANGO_SETTINGS_MODULE="tests.people.mail_settings",
        PRM_TEST_MAIL_DIR=str(mail_dir),
    ) as url:
        yield MailServer(url=url, mail_dir=mail_dir)
