"""Issue 13, finding 6 (password reset) replayed: a mailed link built from whatever Host
the client sent, and no limit on how many mails one can make the site send.

Every replay must fail: the link names the tenant's own address (its primary domain,
PRM_PUBLIC_SCHEME and PRM_PUBLIC_PORT; http and no port in the test settings), and at
most PRM_PASSWORD_RESET_PER_ADDRESS mails per address and
PRM_PASSWORD_RESET_PER_CLIENT requests per client address go out in an hour, while the
answer stays the same page (nothing tells an attacker whether an address has an account
or a limit was reached).

Each test sends from an address of its own (TEST-NET, RFC 5737), so the per-client
counters of one test, kept in Redis for an hour, never reach another test.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from prm.tenancy.models import Domain
from tests.conftest import TenantClient, make_user, tenant_schema
from tests.factories import DEFAULT_PASSWORD

RESET = "/accounts/password/reset/"
SENT = "/accounts/password/reset/sent/"
LINK = re.compile(r"(\S+)/accounts/password/reset/[^/\s]+/[^/\s]+/")


def reset(client: TenantClient, email: str, **headers: Any) -> Any:
    return client.post(RESET, {"email": email}, **headers)


def links() -> list[str]:
    """The address each mailed link starts with (scheme://host[:port])."""
    found = []
    for message in mail.outbox:
        match = LINK.search(str(message.body))
        assert match, message.body
        found.append(match.group(1))
    return found


_client_numbers = itertools.count(1)


@pytest.fixture
def from_address() -> str:
    """A client address no other test sends from."""
    return f"192.0.2.{next(_client_numbers)}"


def test_twenty_requests_for_one_address_send_at_most_three_mails(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given a user of alpha
    user = make_user(tenant_a, "manager")

    # when someone asks for twenty resets of that address, from twenty client
    # addresses (a forged X-Forwarded-For each time, and a fresh socket address too)
    answers = [
        reset(
            client_a,
            user.email.upper() if number % 2 else user.email,
            REMOTE_ADDR=f"198.51.100.{number + 1}",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number + 1}",
        )
        for number in range(20)
    ]

    # then every answer is the same "check your e-mail" page, and three mails went out
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {(302, SENT)}
    assert len(mail.outbox) == 3
    assert {tuple(message.to) for message in mail.outbox} == {(user.email,)}


def test_one_client_may_ask_ten_times_an_hour_whatever_the_addresses(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given twelve users of alpha
    users = [make_user(tenant_a, "manager") for _ in range(12)]

    # when one client asks for a reset of each, forging X-Forwarded-For each time
    answers = [
        reset(
            client_a,
            user.email,
            REMOTE_ADDR=from_address,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number + 1}",
        )
        for number, user in enumerate(users)
    ]

    # then the answers are all alike, and only the first ten were mailed
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {(302, SENT)}
    assert [message.to for message in mail.outbox] == [[user.email] for user in users[:10]]


def test_unknown_addresses_count_too_and_get_the_same_answer(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given a user of alpha, and a client that first tries ten unknown addresses
    user = make_user(tenant_a, "manager")
    probes = [
        reset(client_a, f"nobody{number}@example.com", REMOTE_ADDR=from_address)
        for number in range(10)
    ]

    # when it then asks for the real one
    answer = reset(client_a, user.email, REMOTE_ADDR=from_address)

    # then nothing was sent, and no answer differs from another
    assert mail.outbox == []
    assert {(probe.status_code, probe["Location"]) for probe in [*probes, answer]} == {(302, SENT)}


def test_a_forged_host_port_is_not_in_the_mailed_link(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given a user of alpha
    user = make_user(tenant_a, "manager")

    # when resets are asked on alpha's host with another port, and with a forged
    # X-Forwarded-Host (believed or not, USE_X_FORWARDED_HOST on or off)
    reset(client_a, user.email, HTTP_HOST="alpha.localhost:6666", REMOTE_ADDR=from_address)
    reset(
        client_a,
        user.email,
        HTTP_X_FORWARDED_HOST="evil.example:6666",
        REMOTE_ADDR=from_address,
    )
    with override_settings(USE_X_FORWARDED_HOST=True, ALLOWED_HOSTS=["*"]):
        reset(
            client_a,
            user.email,
            HTTP_X_FORWARDED_HOST="alpha.localhost:6666",
            REMOTE_ADDR=from_address,
        )

    # then each mail links to alpha's own address, as the test settings configure it
    assert links() == ["http://alpha.localhost"] * 3


@override_settings(PRM_PUBLIC_SCHEME="https", PRM_PUBLIC_PORT=8443)
def test_the_link_is_the_tenants_primary_domain_with_the_configured_scheme_and_port(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given alpha also answers at a second, non-primary domain
    user = make_user(tenant_a, "manager")
    with tenant_schema(tenant_a):
        Domain.objects.create(domain="alpha-old.localhost", tenant=tenant_a, is_primary=False)
    try:
        # when a reset is asked there
        answer = reset(
            TenantClient("alpha-old.localhost"),
            user.email,
            REMOTE_ADDR=from_address,
        )
    finally:
        with tenant_schema(tenant_a):
            Domain.objects.filter(domain="alpha-old.localhost").delete()

    # then the link is on the primary domain, with the configured scheme and port
    assert answer.status_code == 302
    assert links() == ["https://alpha.localhost:8443"]


def test_the_mailed_link_still_resets_the_password(
    client_a: TenantClient, tenant_a: Any, from_address: str
) -> None:
    # given a user who asked for a reset with a forged port
    user = make_user(tenant_a, "manager")
    reset(client_a, user.email, HTTP_HOST="alpha.localhost:6666", REMOTE_ADDR=from_address)
    match = LINK.search(str(mail.outbox[0].body))
    assert match

    # when they follow the link and choose a new password
    path = match.group(0).removeprefix(match.group(1))
    form_page = client_a.get(path, follow=True)
    done = client_a.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-long-phrase-42", "new_password2": "another-long-phrase-42"},
    )

    # then it is changed
    assert done.status_code == 302
    with tenant_schema(tenant_a):
        user.refresh_from_db()
        assert user.check_password("another-long-phrase-42")
        assert not user.check_password(DEFAULT_PASSWORD)
