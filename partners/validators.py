"""Normalising and validating partner data; messages say what is wrong and how to fix it."""

from __future__ import annotations

import re

import idna
import phonenumbers
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import PhoneNumber

from .dns import is_ip_address, normalize_host

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _ascii_host(value: str, field_label: str) -> str:
    value = value.strip().rstrip(".")
    try:
        ascii_value = idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValidationError(f"“{value}” is not a valid {field_label}: {error}.") from error
    labels = ascii_value.split(".")
    if (
        len(ascii_value) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
    ):
        raise ValidationError(
            f"“{value}” is not a valid {field_label}; use a name like example.com."
        )
    if labels[-1].isdigit():
        raise ValidationError(
            f"“{value}” is not a valid {field_label}; the last label cannot be a number."
        )
    return ascii_value


def normalize_domain(value: str) -> str:
    """A website domain in its lower-case ASCII (IDNA 2008) form.

    `Bücher.Example` becomes `xn--bcher-kva.example`; a scheme, path, port or
    address is refused with a message that says what to enter instead.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if "://" in value or "/" in value:
        raise ValidationError(
            f"Enter only the domain, without http:// or a path (e.g. “example.com”, not “{value}”)."
        )
    # Addresses first: an IPv6 address has colons too, and is no port.
    if is_ip_address(value):
        raise ValidationError("Enter a domain name, not an IP address.")
    if ":" in value:
        raise ValidationError("Enter the domain without a port.")
    if value.lower().startswith("www."):
        value = value[4:]
    return _ascii_host(value, "domain")


def display_domain(value: str) -> str:
    """The Unicode form of a stored domain, for people."""
    try:
        return idna.decode(value) if value else ""
    except idna.IDNAError:
        return value


def normalize_dns_server(value: str) -> str:
    """A DNS server: a host name (ASCII form) or an IP address."""
    value = (value or "").strip()
    if not value:
        return ""
    if is_ip_address(value):
        return normalize_host(value)
    return _ascii_host(value, "DNS server (host name or IP address)")


def parse_phone(value: object, country: str | None) -> PhoneNumber | str:
    """A phone number in E.164, read in `country` when it has no +country code."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, phonenumbers.PhoneNumber):
        number = value
    else:
        raw = str(value).strip()
        region = (country or "").upper() or None
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException as error:
            hint = (
                f"numbers without a +country code are read as {region}"
                if region
                else "start it with + and the country code, or set the country first"
            )
            raise ValidationError(
                f"“{raw}” is not a phone number ({error._msg.rstrip('.').lower()}); {hint}."
            ) from error
    if not phonenumbers.is_valid_number(number):
        example = phonenumbers.example_number((country or "US").upper())
        shown = (
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            if example
            else "+1 201 555 0123"
        )
        raise ValidationError(f"“{value}” is not a valid phone number; enter it like {shown}.")
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
