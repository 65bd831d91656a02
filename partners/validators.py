"""Normalising and validating partner data; messages say what is wrong and how to fix
it, never a library's own wording (idna's code points, phonenumbers' "string
supplied"). The services call these for the staff form, the portal, the API and the
import alike, so every door cleans and refuses the same values the same way."""

from __future__ import annotations

import re

import idna
import phonenumbers
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import PhoneNumber

from .dns import is_ip_address, normalize_host

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# What a pasted web address or host:port adds around the host name.
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PORT = re.compile(r":\d{0,5}$")

DOMAIN_HINT = "enter a domain name like example.com"
DNS_HINT = "enter a host name like ns1.example.com or an address like 192.0.2.53"


def _ascii_host(value: str, field_label: str, hint: str) -> str:
    """`value` as a lower-case ASCII (IDNA 2008) host name; idna's own messages name
    code points and positions, so people get what to enter instead."""
    value = value.strip().rstrip(".")
    try:
        ascii_value = idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        if any(character.isspace() for character in value):
            reason = "it has a space"
        elif "@" in value:
            after = value.rsplit("@", 1)[1] or "example.com"
            raise ValidationError(
                f"“{value}” is not a valid {field_label}: it is an e-mail address; "
                f"enter only what follows the @, e.g. {after}."
            ) from error
        else:
            reason = "use letters, digits and hyphens between the dots"
        raise ValidationError(
            f"“{value}” is not a valid {field_label}: {reason}; {hint}."
        ) from error
    labels = ascii_value.split(".")
    if (
        len(ascii_value) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
    ):
        raise ValidationError(f"“{value}” is not a valid {field_label}; {hint}.")
    if labels[-1].isdigit():
        raise ValidationError(
            f"“{value}” is not a valid {field_label}; the last label cannot be a number."
        )
    return ascii_value


def _host_of(value: str) -> str:
    """The host name in what was typed or pasted: `https://www.example.com/about`,
    `example.com/shop` and `ns1.example.com:53` give the host; an address (IPv6 has
    colons too) is left as it is."""
    if is_ip_address(value):
        return value
    value = _SCHEME.sub("", value)
    value = re.split(r"[/?#]", value, maxsplit=1)[0]
    if value.startswith("[") and "]" in value:
        # An IPv6 address in brackets, perhaps with a port.
        return value[1 : value.index("]")]
    return _PORT.sub("", value)


def normalize_domain(value: str) -> str:
    """A website domain in its lower-case ASCII (IDNA 2008) form.

    `Bücher.Example` becomes `xn--bcher-kva.example`; a web address is cleaned to its
    domain (`https://www.example.com/about` is `example.com`: a scheme, path, port and
    a leading `www.` go); an IP address is refused with a message that says what to
    enter instead. The form, the API and the import all store domains through this.
    """
    value = (value or "").strip()
    if not value:
        return ""
    value = _host_of(value)
    if is_ip_address(value):
        raise ValidationError("Enter a domain name, not an IP address.")
    if value.lower().startswith("www."):
        value = value[4:]
    return _ascii_host(value, "domain", DOMAIN_HINT)


def display_domain(value: str) -> str:
    """The Unicode form of a stored domain, for people."""
    try:
        return idna.decode(value) if value else ""
    except idna.IDNAError:
        return value


def normalize_dns_server(value: str) -> str:
    """A DNS server: a host name (ASCII form) or an IP address; like a domain, what
    surrounds the host in a pasted address (scheme, path, port) goes."""
    value = (value or "").strip()
    if not value:
        return ""
    value = _host_of(value)
    if is_ip_address(value):
        return normalize_host(value)
    return _ascii_host(value, "DNS server (host name or IP address)", DNS_HINT)


def _example_number(country: str | None) -> str:
    """A number of `country` as people write it with its country code."""
    example = phonenumbers.example_number(country.upper()) if country else None
    if example is None:
        return "+44 20 7946 0958"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_phone(value: object, country: str | None) -> PhoneNumber | str:
    """A phone number in E.164, read in `country` when it has no +country code. The
    messages say how to write one (phonenumbers' own say "the string supplied did
    not seem to be a phone number")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    region = (country or "").upper() or None
    if isinstance(value, phonenumbers.PhoneNumber):
        number = value
    else:
        raw = str(value).strip()
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException as error:
            hint = (
                f"numbers without a +country code are read as {region} numbers"
                if region
                else "or set the country first to enter a local number"
            )
            raise ValidationError(
                f"“{raw}” is not a phone number. Enter a phone number with its country "
                f"code, e.g. {_example_number(region)} ({hint})."
            ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"“{value}” is not a valid phone number; enter it like {_example_number(region)}."
        )
    return PhoneNumber.from_string(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def clean_tags(values: list[str]) -> list[str]:
    """Tags: trimmed, lower case, unique, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        tag = value.strip().lower()
        if tag:
            if len(tag) > 50:
                raise ValidationError(f"Tag “{tag[:20]}…” is longer than 50 characters.")
            seen.setdefault(tag, None)
    return list(seen)
