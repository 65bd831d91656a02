"""What a person is told when a receiver URL is refused, and what is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from prm.webhooks import targets


@pytest.fixture
def production_rules(settings: Any) -> None:
    settings.PRM_WEBHOOK_ALLOW_HTTP = False
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://93.184.215.14/x", "sent over https only"),
        ("ftp://93.184.215.14/x", "Give an https:// address"),
        ("https://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 is an IPv4 address written"),
        ("https://169.254.169.254/", "169.254.169.254 is a link-local address"),
        ("https://100.64.0.1/", "shared (carrier-grade NAT)"),
        ("https://0x7f.1/", "write IPv4 addresses as four decimal numbers"),
        ("https://metadata.google.internal/", "a local or reserved name"),
        ("https://ⓛocalhost/", "“localhost” is a local or reserved name"),
        ("https://user:secret@93.184.215.14/", "Leave the user name and password out"),
        ("https://93.184.215.14:99999/", "not a valid URL"),
        ("https://[fe80::1%25eth0]/", "zone ids are not allowed"),
        ("https://hooks/", "give the receiver's full name"),
        ("https://internal-name.com/", "resolves to an address that is a private address"),
        ("https://nowhere-3c9b.com/", "does not exist in DNS"),
    ],
)
def test_a_refusal_says_what_is_wrong_and_how_to_fix_it(
    url: str, said: str, production_rules: None, webhook_dns: Any
) -> None:
    webhook_dns.set("internal-name.com", A=["10.1.2.3"])
    with pytest.raises(targets.TargetRefused) as refused:
        targets.check(url)
    assert said in refused.value.message


def test_public_names_and_addresses_are_accepted_in_their_ascii_form(
    production_rules: None, webhook_dns: Any
) -> None:
    # given a public IDN name with an IPv4 and an IPv6 address
    webhook_dns.set("xn--bcher-kva.com", A=["93.184.215.14"], AAAA=["2606:2800:21f:cb07::1"])
    # when it is checked
    target = targets.check("https://Bücher.com:8443/hooks/prm?k=1&name=Müller")
    # then both addresses are kept for the connection, with the name in ASCII
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "xn--bcher-kva.com",
        8443,
        "/hooks/prm?k=1&name=M%C3%BCller",
    )
    assert [str(address) for address in target.addresses] == [
        "93.184.215.14",
        "2606:2800:21f:cb07::1",
    ]


def test_allowed_networks_let_through_only_what_they_name(settings: Any) -> None:
    settings.PRM_WEBHOOK_ALLOW_HTTP = True
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert targets.check("http://127.0.0.1:8080/x").addresses[0].exploded == "127.0.0.1"
    with pytest.raises(targets.TargetRefused, match="loopback"):
        targets.check("http://127.0.0.2:8080/x")


def test_a_network_that_does_not_parse_stops_start_up(settings: Any) -> None:
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "localhost"]
    with pytest.raises(SystemCheckError, match=r"webhooks\.E001"):
        call_command("check")
