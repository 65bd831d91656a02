"""Normalising partner data: domains (IDNA), DNS servers, phone numbers (E.164), tags.

Pure functions: no database, no tenant.
"""

import pytest
from django.core.exceptions import ValidationError

from partners.validators import (
    clean_tags,
    display_domain,
    normalize_dns_server,
    normalize_domain,
    parse_phone,
)


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("  example.com.  ", "example.com"),
        ("www.Example.com", "example.com"),
        ("shop.example.co.uk", "shop.example.co.uk"),
        ("Bücher-Händler.test", "xn--bcher-hndler-mcb34a.test"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("", ""),
        # a pasted web address is cleaned to its domain
        ("https://www.example.com/path", "example.com"),
        ("http://Shop.Example.com/?q=1", "shop.example.com"),
        ("example.com/shop", "example.com"),
        ("example.com:8080", "example.com"),
        ("HTTPS://Bücher.example:443/x#y", "xn--bcher-kva.example"),
    ],
)
def test_domain_is_stored_in_lower_case_ascii_idna_form(entered: str, stored: str) -> None:
    # when a domain is entered
    # then it is kept as its lower-case ASCII (IDNA 2008) form
    assert normalize_domain(entered) == stored


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        ("https://192.0.2.1/", "not an IP address"),
        ("192.0.2.1", "not an IP address"),
        ("2001:db8::1", "not an IP address"),
        ("[2001:db8::1]:80", "not an IP address"),
        ("example", "enter a domain name like example.com"),
        ("exa mple.com", "is not a valid domain: it has a space"),
        ("not a dns!!", "enter a domain name like example.com"),
        ("-bad.example", "is not a valid domain"),
        ("user@example.com", "is an e-mail address; enter only what follows the @"),
        ("a..b.example", "is not a valid domain"),
        ("1.2.3", "the last label cannot be a number"),
        ("xn--zz.example", "is not a valid domain"),
        ("☃.example", "is not a valid domain"),
        (("a" * 64) + ".example", "is not a valid domain"),
    ],
)
def test_an_address_or_a_domain_with_bad_labels_is_refused(entered: str, message: str) -> None:
    # when something that is no domain is entered
    # then it is refused with a message that says what to enter instead
    with pytest.raises(ValidationError) as refused:
        normalize_domain(entered)
    assert message in refused.value.messages[0]


def test_stored_domain_is_shown_to_people_in_unicode() -> None:
    # given a domain stored in its ASCII form
    stored = normalize_domain("Bücher-Händler.test")

    # when it is shown, then people read the Unicode form
    assert display_domain(stored) == "bücher-händler.test"
    # and a stored value that is not valid IDNA is shown as it is
    assert display_domain("xn--zz.example") == "xn--zz.example"


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("ns1.example.com", "ns1.example.com"),
        ("NS1.Example.COM.", "ns1.example.com"),
        ("ns1.bücher.example", "ns1.xn--bcher-kva.example"),
        ("192.0.2.53", "192.0.2.53"),
        ("2001:DB8:0::53", "2001:db8::53"),
        ("", ""),
        # what surrounds a host in a pasted address goes, as for domains
        ("ns1.example.com:53", "ns1.example.com"),
        ("http://ns1.example.com/", "ns1.example.com"),
        ("[2001:db8::53]:53", "2001:db8::53"),
    ],
)
def test_dns_server_is_a_host_name_or_an_ip_address(entered: str, stored: str) -> None:
    # when a DNS server is entered, then host names are kept in ASCII lower case and
    # addresses in their canonical form
    assert normalize_dns_server(entered) == stored


@pytest.mark.parametrize(
    "entered",
    ["ns1", "1.2.3.256", "ns 1.example.com", "not a dns!!", "http://ns 1.example.com/"],
)
def test_dns_server_that_is_neither_host_name_nor_address_is_refused(entered: str) -> None:
    # when something else is entered, then it is refused, naming the field's meaning
    with pytest.raises(ValidationError) as refused:
        normalize_dns_server(entered)
    assert "is not a valid DNS server (host name or IP address)" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("entered", "country", "e164"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
        ("030 901820", "DE", "+4930901820"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("+44 20 7946 0958", None, "+442079460958"),
        # a +country code wins over the partner's country
        ("+1 201 555 0123", "GB", "+12015550123"),
    ],
)
def test_phone_is_parsed_to_e164_with_the_country_as_default_region(
    entered: str, country: str | None, e164: str
) -> None:
    # when a phone number is entered for a partner in `country`
    number = parse_phone(entered, country)

    # then it is stored in E.164
    assert str(number) == e164


@pytest.mark.parametrize("entered", ["", "   ", None])
def test_empty_phone_stays_empty(entered: str | None) -> None:
    # when no phone number is entered, then there is none
    assert parse_phone(entered, "GB") == ""


@pytest.mark.parametrize(
    ("entered", "country", "message"),
    [
        ("12", "GB", "enter it like +44"),
        ("12", None, "Enter a phone number with its country code, e.g. +44 20 7946 0958"),
        ("020 7946 0958", None, "or set the country first to enter a local number"),
        ("abc", "US", "e.g. +1 201-555-0123 (numbers without a +country code are read as US"),
        ("+999 123", None, "is not a phone number"),
        ("+44 20 7946", None, "is not a valid phone number"),
    ],
)
def test_phone_that_is_no_valid_number_is_refused_with_a_hint(
    entered: str, country: str | None, message: str
) -> None:
    # when something that is not a valid number is entered
    # then it is refused with a message that says how to enter it
    with pytest.raises(ValidationError) as refused:
        parse_phone(entered, country)
    assert message in refused.value.messages[0]


def test_tags_are_trimmed_lower_case_unique_and_keep_their_order() -> None:
    # when tags are entered with spaces, mixed case, repeats and blanks
    tags = clean_tags([" VIP ", "Reseller", "vip", "", "  ", "EMEA"])

    # then each is kept once, in lower case, in the order first given
    assert tags == ["vip", "reseller", "emea"]


def test_a_tag_longer_than_50_characters_is_refused() -> None:
    # when a tag is too long for the field, then it is refused, not cut
    with pytest.raises(ValidationError, match="longer than 50 characters"):
        clean_tags(["ok", "x" * 51])
