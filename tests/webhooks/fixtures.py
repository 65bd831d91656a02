"""Receivers, listening sockets and a DNS server on loopback for the webhook tests
(tests/webhooks and tests/security): a plugin that tests/conftest.py loads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhooks.receivers import Answers, Listener, Receiver, dns_answers


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    receivers: list[Receiver] = []

    def make(answers: list[int], **options: Any) -> Receiver:
        receivers.append(Receiver(answers, **options))
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.close()


@pytest.fixture
def listener_factory() -> Iterator[Any]:
    listeners: list[Listener] = []

    def make(host: str = "127.0.0.1", port: int = 0, **options: Any) -> Listener:
        listeners.append(Listener(host, port, **options))
        return listeners[-1]

    yield make
    for listener in listeners:
        listener.close()


@pytest.fixture
def webhook_dns(settings: Any) -> Iterator[Answers]:
    """Webhook hosts (and every other lookup in the test) resolve through a DNS
    server on loopback whose answers the test sets with `webhook_dns.set(...)`."""
    with dns_answers() as (answers, address):
        settings.PRM_DNS_NAMESERVERS = [address]
        settings.PRM_DNS_LIFETIME = 1.0
        yield answers
