"""OpenAPI examples of the SLA API, copied from what the API really answers
(tests/api/test_schema_examples.py checks them against the schema)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

POLICY_INPUT: dict[str, Any] = {
    "slug": "premium",
    "name": "Premium partner SLA",
    "description": "For gold partners.",
    "policies": "Requests are answered within 2 business hours and resolved within 16.",
    "first_response_hours": "2.00",
    "resolution_hours": "16.00",
    "lead_acceptance_hours": "4.00",
    "min_monthly_revenue": "10000.00",
    "min_monthly_won_orders": 5,
    "min_monthly_calls": 2,
    "time_zone": "Europe/London",
    "working_days": ["mon", "tue", "wed", "thu", "fri"],
    "working_hours_start": "08:00",
    "working_hours_end": "18:00",
    "holidays": ["2026-12-25", "2026-12-26"],
    "escalation_name": "Janet Leverling",
    "escalation_email": "escalations@demo.test",
    "review_cadence": "monthly",
    "is_default": False,
}

POLICY: dict[str, Any] = {
    **POLICY_INPUT,
    "uptime_percent": None,
    "version": 1,
    "updated_at": "2026-11-02T14:31:07.550124Z",
}

POLICY_EXAMPLES = [
    OpenApiExample("A premium policy", value=POLICY_INPUT, request_only=True),
    OpenApiExample("A premium policy", value=POLICY, response_only=True),
]

POLICY_PATCH_EXAMPLES = [
    OpenApiExample(
        "Change one target",
        value={"resolution_hours": "12.00"},
        request_only=True,
        description="Every change makes a new version; compliance for a past period is "
        "judged against the version in force then.",
    ),
    OpenApiExample(
        "Its second version",
        value={
            **POLICY,
            "resolution_hours": "12.00",
            "version": 2,
            "updated_at": "2026-11-10T09:00:12.296411Z",
        },
        response_only=True,
    ),
]

VERSION_EXAMPLES = [
    OpenApiExample(
        "The second version",
        value={
            "number": 2,
            "created_at": "2026-11-10T09:00:12.301554Z",
            "created_by": "admin@demo.test",
            "changed_via": "api",
            "changed_fields": ["resolution_hours"],
            "policy": {**POLICY_INPUT, "uptime_percent": None, "resolution_hours": "12.00"},
        },
        response_only=True,
    )
]

TARGETS: dict[str, Any] = {
    "first_response_hours": "2.00",
    "resolution_hours": "16.00",
    "lead_acceptance_hours": "4.00",
    "min_monthly_revenue": "10000.00",
    "min_monthly_won_orders": 5,
    "min_monthly_calls": 2,
    "uptime_percent": None,
}

EFFECTIVE_SLA: dict[str, Any] = {
    "partner": "northwind",
    "policy": "premium",
    "policy_version": 2,
    "targets": TARGETS,
    "overrides": {},
    "calendar": {
        "time_zone": "Europe/London",
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "working_hours_start": "08:00",
        "working_hours_end": "18:00",
        "holidays": ["2026-12-25", "2026-12-26"],
    },
}

EFFECTIVE_SLA_EXAMPLE = OpenApiExample(
    "Policy targets, none overridden", value=EFFECTIVE_SLA, response_only=True
)

OVERRIDE_EXAMPLES = [
    OpenApiExample(
        "Own targets for one partner",
        value={"overrides": {"first_response_hours": "1.00", "min_monthly_calls": None}},
        request_only=True,
        description="A value overrides the policy's target; null goes back to the policy's.",
    ),
    OpenApiExample(
        "One target overridden",
        value={
            **EFFECTIVE_SLA,
            "targets": {**TARGETS, "first_response_hours": "1.00"},
            "overrides": {"first_response_hours": "1.00"},
        },
        response_only=True,
    ),
]

CLOCKS: dict[str, Any] = {
    "first_response": {
        "state": "on_track",
        "target_hours": "2.00",
        "due_at": "2026-11-24T12:10:00Z",
        "used": "0.250",
        "business_seconds_left": 5400,
    },
    "resolution": {
        "state": "on_track",
        "target_hours": "16.00",
        "due_at": "2026-11-25T16:10:00Z",
        "used": "0.031",
        "business_seconds_left": 55800,
    },
}

PARTNER_REQUEST: dict[str, Any] = {
    "id": 42,
    "partner": "northwind",
    "kind": "support",
    "subject": "Portal login fails for two users",
    "description": "Since Monday both get “invalid password” after a reset.",
    "raised_by": "nancy@northwind.example",
    "opened_at": "2026-11-24T10:10:00Z",
    "first_response_at": None,
    "resolved_at": None,
    "sla_version": 2,
    "clocks": CLOCKS,
    "created_at": "2026-11-24T10:10:00.412310Z",
    "updated_at": "2026-11-24T10:10:00.412322Z",
}

PARTNER_REQUEST_INPUT_EXAMPLES = [
    OpenApiExample(
        "A support request",
        value={
            "partner": "northwind",
            "kind": "support",
            "subject": "Portal login fails for two users",
            "description": "Since Monday both get “invalid password” after a reset.",
        },
        request_only=True,
    )
]

PARTNER_REQUEST_EXAMPLES = [
    OpenApiExample("Open, clocks running", value=PARTNER_REQUEST, response_only=True),
    OpenApiExample(
        "Answered and resolved",
        value={
            **PARTNER_REQUEST,
            "first_response_at": "2026-11-24T10:55:00Z",
            "resolved_at": "2026-11-24T15:20:00Z",
            "clocks": {
                "first_response": {**CLOCKS["first_response"], "state": "met"},
                "resolution": {**CLOCKS["resolution"], "state": "met"},
            },
            "updated_at": "2026-11-24T15:20:00.100871Z",
        },
        response_only=True,
    ),
]

REPLY_EXAMPLES = [
    OpenApiExample(
        "A first response",
        value={"body": "We reset both accounts; please try again and tell us if it works."},
        request_only=True,
    ),
    OpenApiExample(
        "No reply text (clients from before replies: only the clock stops)",
        value={},
        request_only=True,
    ),
]

RESOLVE_EXAMPLES = [
    OpenApiExample(
        "The resolution",
        value={"body": "Fixed in the 4.2.1 release: password resets no longer expire early."},
        request_only=True,
    ),
]

# One message each: drf-spectacular shows a list answer's example as a list of it.
REQUEST_MESSAGES_EXAMPLES = [
    OpenApiExample(
        "The vendor's first response",
        value={
            "id": 7,
            "kind": "response",
            "author": "maria@vendor.example",
            "side": "vendor",
            "body": "We reset both accounts; please try again and tell us if it works.",
            "created_at": "2026-11-24T10:55:00Z",
            "first_response": True,
            "mailed_at": "2026-11-24T10:55:02Z",
            "mailed_to": ["nancy@northwind.example", "support@northwind.example"],
        },
        response_only=True,
    ),
    OpenApiExample(
        "The partner's answer from the portal",
        value={
            "id": 8,
            "kind": "note",
            "author": "nancy@northwind.example",
            "side": "partner",
            "body": "One of them can sign in now; the other still cannot.",
            "created_at": "2026-11-24T11:40:00Z",
            "first_response": False,
            "mailed_at": "2026-11-24T11:40:01Z",
            "mailed_to": ["maria@vendor.example"],
        },
        response_only=True,
    ),
]
