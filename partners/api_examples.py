"""OpenAPI examples of the registry's API, copied from what the API really answers.

tests/api/test_schema_examples.py checks each against its schema and sends the partner
create example to the API, comparing the answer's shape with PARTNER."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

PARTNER_CREATE: dict[str, Any] = {
    "ref": "northwind",
    "name": "Northwind Traders",
    "domain": "northwind.example",
    "phone": "+44 20 7946 0958",
    "contact_name": "Nancy Davolio",
    "contact_email": "nancy@northwind.example",
    "street": "12 Harbour Street",
    "city": "London",
    "postal_code": "E1 6AN",
    "country": "GB",
    "primary_dns": "ns1.northwind.example",
    "secondary_dns": "ns2.northwind.example",
    "products": ["router-x1"],
    "channel_manager": "manager@demo.test",
    "status": "onboarding",
    "tags": ["uk", "smb"],
}

PARTNER: dict[str, Any] = {
    "ref": "northwind",
    "name": "Northwind Traders",
    "domain": "northwind.example",
    "domain_display": "northwind.example",
    "phone": "+442079460958",
    "contact_name": "Nancy Davolio",
    "contact_email": "nancy@northwind.example",
    "contact_phone": "",
    "street": "12 Harbour Street",
    "city": "London",
    "region": "",
    "postal_code": "E1 6AN",
    "country": "GB",
    "calling_code": "+44",
    "primary_dns": "ns1.northwind.example",
    "secondary_dns": "ns2.northwind.example",
    "products": ["router-x1"],
    "sla": "standard",
    "channel_manager": "manager@demo.test",
    "tier": None,
    "status": "onboarding",
    "allowed_transitions": ["active", "suspended", "terminated"],
    "roles": "",
    "responsibilities": "",
    "benefits": "",
    "effective_roles": "",
    "effective_responsibilities": "",
    "effective_benefits": "",
    "notes": "",
    "tags": ["uk", "smb"],
    "dns": {"status": None, "nameservers": [], "checked_at": None, "error": ""},
    "created_at": "2026-11-20T09:12:44.051233Z",
    "updated_at": "2026-11-20T09:12:44.051240Z",
}

PARTNER_REQUEST = OpenApiExample("A new reseller", value=PARTNER_CREATE, request_only=True)
PARTNER_REPLACE = OpenApiExample(
    "Every field at once",
    value={**PARTNER_CREATE, "name": "Northwind Traders Ltd", "status": "active"},
    request_only=True,
    description="Fields left out keep their value; `status` moves the partner along its "
    "lifecycle (see `allowed_transitions`).",
)
PARTNER_STATUS_CHANGE = OpenApiExample(
    "Activate a partner",
    value={"status": "active", "status_reason": "Contract signed on 24 November."},
    request_only=True,
    description="A status change is recorded with who made it, when, and the reason.",
)
PARTNER_TIER_CHANGE = OpenApiExample(
    "Move to another tier and SLA", value={"tier": "gold", "sla": "premium"}, request_only=True
)
PARTNER_RESPONSE = OpenApiExample("A reseller", value=PARTNER, response_only=True)
PARTNER_ACTIVE_RESPONSE = OpenApiExample(
    "An active reseller",
    value={
        **PARTNER,
        "name": "Northwind Traders Ltd",
        "status": "active",
        "allowed_transitions": ["affiliate", "suspended", "terminated"],
        "dns": {
            "status": "ok",
            "nameservers": ["ns1.northwind.example", "ns2.northwind.example"],
            "checked_at": "2026-11-24T02:00:05.310021Z",
            "error": "",
        },
        "updated_at": "2026-11-24T10:03:17.902114Z",
    },
    response_only=True,
)

DNS_CHECK_OK = OpenApiExample(
    "The recorded name servers answer",
    value={
        "status": "ok",
        "nameservers": ["ns1.northwind.example", "ns2.northwind.example"],
        "checked_at": "2026-11-24T10:05:31.118409Z",
        "error": "",
        "recorded": ["ns1.northwind.example", "ns2.northwind.example"],
    },
    response_only=True,
)
DNS_CHECK_MISMATCH = OpenApiExample(
    "Other name servers than recorded",
    value={
        "status": "mismatch",
        "nameservers": ["dns1.registrar.example", "dns2.registrar.example"],
        "checked_at": "2026-11-24T10:05:31.118409Z",
        "error": "",
        "recorded": ["ns1.northwind.example", "ns2.northwind.example"],
    },
    response_only=True,
)
DNS_CHECK_TIMEOUT = OpenApiExample(
    "No resolver answered",
    value={
        "status": "timeout",
        "nameservers": [],
        "checked_at": "2026-11-24T10:05:36.402077Z",
        "error": "The resolution lifetime expired after 5.002 seconds.",
        "recorded": ["ns1.northwind.example"],
    },
    response_only=True,
)

# drf-spectacular puts a list operation's example in a list itself: this is one entry.
HISTORY = OpenApiExample(
    "A status change",
    value={
        "when": "2026-11-24T10:03:17.902114Z",
        "who": "manager@demo.test",
        "what": "partner changed",
        "object": "Northwind Traders",
        "changes": [{"field": "status", "old": "onboarding", "new": "active"}],
    },
    response_only=True,
)

CONTACT_EXAMPLES = [
    OpenApiExample(
        "A sales contact",
        value={
            "name": "Andrew Fuller",
            "role": "sales",
            "title": "Head of sales",
            "email": "andrew@northwind.example",
            "phone": "+44 20 7946 0001",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A sales contact",
        value={
            "id": 17,
            "name": "Andrew Fuller",
            "role": "sales",
            "title": "Head of sales",
            "email": "andrew@northwind.example",
            "phone": "+442079460001",
            "notes": "",
            "created_at": "2026-11-20T09:15:02.310447Z",
            "updated_at": "2026-11-20T09:15:02.310461Z",
        },
        response_only=True,
    ),
]

PRODUCT_EXAMPLES = [
    OpenApiExample(
        "A router",
        value={"sku": "router-x1", "name": "Router X1", "description": "Dual-WAN branch router"},
        request_only=True,
    ),
    OpenApiExample(
        "A router",
        value={
            "sku": "router-x1",
            "name": "Router X1",
            "description": "Dual-WAN branch router",
            "is_active": True,
            "created_at": "2026-11-02T14:20:11.482133Z",
            "updated_at": "2026-11-02T14:20:11.482141Z",
        },
        response_only=True,
    ),
]

TIER_EXAMPLES = [
    OpenApiExample(
        "The gold programme",
        value={
            "slug": "gold",
            "name": "Gold",
            "rank": 3,
            "roles": "Resell the full catalogue and run first-line support.",
            "responsibilities": "Two certified engineers; quarterly business review.",
            "benefits": "35% discount, market development funds, lead priority.",
        },
        request_only=True,
    ),
    OpenApiExample(
        "The gold programme",
        value={
            "slug": "gold",
            "name": "Gold",
            "rank": 3,
            "roles": "Resell the full catalogue and run first-line support.",
            "responsibilities": "Two certified engineers; quarterly business review.",
            "benefits": "35% discount, market development funds, lead priority.",
            "created_at": "2026-10-01T08:00:00.120554Z",
            "updated_at": "2026-10-01T08:00:00.120561Z",
        },
        response_only=True,
    ),
]
