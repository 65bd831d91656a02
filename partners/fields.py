"""The partner's fields, once: their names (the API's, the import's and the
export's, DESIGN.md), the labels people read, the import template's help, how the
services take each, who may change it and whether the list's export has it.

The services, the staff form and the import read this; partners.api keeps its
serializers' explicit fields (their order is the API document's), which a test holds
to this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .models import Partner, PartnerStatus


class Kind(StrEnum):
    """How the services normalise a value (partners.services._apply)."""

    TEXT = "text"  # stripped
    PHONE = "phone"  # parsed in the partner's country
    DOMAIN = "domain"
    DNS = "dns"
    COUNTRY = "country"
    TAGS = "tags"
    REFERENCE = "reference"  # a product SKU, SLA slug, tier slug or manager's e-mail
    STATUS = "status"  # moves through the lifecycle, not set as a field


@dataclass(frozen=True)
class PartnerField:
    name: str
    label: str
    help: str  # the import template's column help
    kind: Kind = Kind.TEXT
    required: bool = False
    # The partner's own users may correct it in the portal (its contact data, address
    # and name servers); everything else is the vendor's and changes through staff.
    partner_edits: bool = False
    # A list in files: values separated by ; or ,.
    listed: bool = False
    # A column of the list's CSV/XLSX export (the programme terms and notes are not).
    exported: bool = True


FIELDS: tuple[PartnerField, ...] = (
    PartnerField(
        "ref",
        "Ref",
        "Required. The partner's stable key: letters, digits, - and _ (e.g. northwind).",
        required=True,
    ),
    PartnerField("name", "Business name", "Required. The business name.", required=True),
    PartnerField(
        "domain", "Website domain", "Website domain, e.g. northwind.example.", Kind.DOMAIN
    ),
    PartnerField(
        "phone",
        "Main telephone",
        "Main telephone, e.g. +44 20 7946 0958 (without +, read in the row's country).",
        Kind.PHONE,
        partner_edits=True,
    ),
    PartnerField(
        "contact_name", "Name of contact", "Name of the main contact.", partner_edits=True
    ),
    PartnerField(
        "contact_email", "Contact e-mail", "E-mail of the main contact.", partner_edits=True
    ),
    PartnerField(
        "contact_phone",
        "Contact phone",
        "Phone of the main contact.",
        Kind.PHONE,
        partner_edits=True,
    ),
    PartnerField("street", "Street", "Street address.", partner_edits=True),
    PartnerField("city", "City", "City.", partner_edits=True),
    PartnerField("region", "Region", "Region, state or county.", partner_edits=True),
    PartnerField("postal_code", "Postal code", "Postal code.", partner_edits=True),
    PartnerField(
        "country",
        "Country",
        "ISO 3166-1 alpha-2 code, e.g. GB.",
        Kind.COUNTRY,
        partner_edits=True,
    ),
    PartnerField(
        "primary_dns",
        "Primary DNS",
        "Primary DNS server: host name or IP address.",
        Kind.DNS,
        partner_edits=True,
    ),
    PartnerField(
        "secondary_dns",
        "Secondary DNS",
        "Secondary DNS server: host name or IP address.",
        Kind.DNS,
        partner_edits=True,
    ),
    PartnerField(
        "products", "Products", "Product SKUs, separated by ; or ,.", Kind.REFERENCE, listed=True
    ),
    PartnerField(
        "sla", "SLA policy", "SLA policy slug; empty means the default policy.", Kind.REFERENCE
    ),
    PartnerField(
        "channel_manager",
        "Channel manager",
        "E-mail of a manager or administrator; empty means you.",
        Kind.REFERENCE,
    ),
    PartnerField("tier", "Tier", "Tier slug.", Kind.REFERENCE),
    PartnerField(
        "status",
        "Status",
        f"One of {', '.join(PartnerStatus.values)}; empty means prospect.",
        Kind.STATUS,
    ),
    PartnerField("tags", "Tags", "Tags, separated by ; or ,.", Kind.TAGS, listed=True),
    PartnerField("notes", "Notes", "Notes.", exported=False),
    PartnerField(
        "roles",
        "Roles",
        "The partner's roles, when they differ from its tier's.",
        exported=False,
    ),
    PartnerField(
        "responsibilities",
        "Responsibilities",
        "Its responsibilities, when they differ from its tier's.",
        exported=False,
    ),
    PartnerField(
        "benefits",
        "Benefits",
        "Its benefits, when they differ from its tier's.",
        exported=False,
    ),
)
BY_NAME = {field.name: field for field in FIELDS}

# What partner_create / partner_update take as fields (the status moves on its own).
EDITABLE_FIELDS = frozenset(field.name for field in FIELDS if field.kind != Kind.STATUS)
TEXT_FIELDS = tuple(field.name for field in FIELDS if field.kind == Kind.TEXT)
# What a partner may correct itself (the portal's profile).
PARTNER_EDITABLE_FIELDS = tuple(field.name for field in FIELDS if field.partner_edits)
# The columns of the list's export, in the API's order.
EXPORT_FIELDS = tuple(field.name for field in FIELDS if field.exported)


def label(name: str) -> str:
    return BY_NAME[name].label


def value_of(partner: Partner, name: str, *, in_file: bool = False) -> Any:
    """The partner's value of field `name` as people edit it in a form (phones in
    international format, products a list of SKUs, tags joined with ", "), or, with
    `in_file`, as a cell of a file (phones in E.164, lists joined with ";")."""
    field = BY_NAME[name]
    value = getattr(partner, name)
    if field.kind == Kind.PHONE:
        return (str(value) if in_file else value.as_international) if value else ""
    if field.kind == Kind.COUNTRY:
        return str(value or "")
    if field.kind == Kind.TAGS:
        return (";" if in_file else ", ").join(value)
    if name == "products":
        skus = [product.sku for product in value.all()]
        return ";".join(skus) if in_file else skus
    if field.kind == Kind.REFERENCE:
        return REFERENCE_KEYS[name](value) if value else ""
    return value


# The key a file or form names a related row by (the API's: DESIGN.md).
REFERENCE_KEYS: dict[str, Callable[[Any], str]] = {
    "sla": lambda policy: policy.slug,
    "channel_manager": lambda user: user.email,
    "tier": lambda tier: tier.slug,
}
