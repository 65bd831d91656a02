"""What a row changes on the partner it names: each field of the row compared with
the stored value, both read through the same field spec (partners.fields) and put
in the form the services store (phones in E.164 read in the row's or the partner's
country, domains and DNS servers in their ASCII form, countries upper case, tags
and products as sets), so that a file exported from the list and imported again
changes nothing. A value that cannot be normalised counts as a change: the service
then reports what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import PhoneNumber

from partners.fields import BY_NAME, Kind, value_of
from partners.models import Partner, PartnerStatus
from partners.validators import (
    clean_tags,
    display_domain,
    normalize_dns_server,
    normalize_domain,
    parse_phone,
)

# A field's value as the services would store it: text, or a frozenset of items.
Comparable = str | frozenset[str]


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return [str(item).strip() for item in value or [] if str(item).strip()]


def comparable(name: str, value: Any, country: str) -> Comparable:
    """`value` (a cell's, or a stored one as a file holds it) as stored; ValidationError
    when it cannot be stored."""
    kind = BY_NAME[name].kind
    if kind == Kind.PHONE:
        return str(parse_phone(value, country or None) or "")
    if kind == Kind.DOMAIN:
        return normalize_domain(str(value or ""))
    if kind == Kind.DNS:
        return normalize_dns_server(str(value or ""))
    if kind == Kind.COUNTRY:
        return str(value or "").strip().upper()
    if kind == Kind.TAGS:
        return frozenset(clean_tags(_items(value)))
    if name == "products":
        return frozenset(_items(value))
    if name == "channel_manager":
        return str(value or "").strip().lower()
    if kind == Kind.STATUS:
        return str(value or "").strip().lower()
    return str(value or "").strip()


def shown(name: str, value: Comparable) -> str:
    """A stored value as people read it in the preview."""
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if not value:
        return ""
    kind = BY_NAME[name].kind
    if kind == Kind.PHONE:
        return PhoneNumber.from_string(value).as_international
    if kind == Kind.DOMAIN:
        return display_domain(value)
    if kind == Kind.STATUS and value in PartnerStatus.values:
        return str(PartnerStatus(value).label)
    return value


def row_changes(
    partner: Partner, fields: Mapping[str, Any], status: str | None
) -> dict[str, list[str]]:
    """The fields of a row (as the serializer read them) whose value differs from the
    partner's: name -> [old, new] as people read them. The partner's products, SLA,
    tier and manager should be fetched with it (partners.imports.rows does)."""
    country = str(fields.get("country") or partner.country or "").strip().upper()
    stored_country = str(partner.country or "")
    changes: dict[str, list[str]] = {}
    for name, value in fields.items():
        held = value_of(partner, name, in_file=True)
        try:
            stored = comparable(name, held, stored_country)
        except ValidationError:  # stored before today's rules: compared as it is
            stored = str(held)
        try:
            new = comparable(name, value, country)
        except ValidationError:
            changes[name] = [shown(name, stored), str(value)]
            continue
        if new != stored:
            changes[name] = [shown(name, stored), shown(name, new)]
    if status is not None and status != partner.status:
        changes["status"] = [shown("status", partner.status), shown("status", status)]
    return changes
