"""OpenAPI examples of the webhooks API, copied from what the API really answers
(tests/api/test_schema_examples.py checks them against the schema)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

SUBSCRIPTION: dict[str, Any] = {
    "id": 3,
    "url": "https://erp.example.com/hooks/prm",
    "events": ["metrics.updated", "partner.created", "partner.status_changed"],
    "description": "ERP: new partners and fresh metrics",
    "is_active": True,
    "consecutive_failures": 0,
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2026-11-02T15:00:41.224801Z",
    "updated_at": "2026-11-02T15:00:41.224815Z",
}

SUBSCRIPTION_EXAMPLES = [
    OpenApiExample(
        "Subscribe a receiver",
        value={
            "url": "https://erp.example.com/hooks/prm",
            "events": ["partner.created", "partner.status_changed", "metrics.updated"],
            "description": "ERP: new partners and fresh metrics",
        },
        request_only=True,
    ),
    OpenApiExample("A receiver", value=SUBSCRIPTION, response_only=True),
    OpenApiExample(
        "Disabled after failing",
        value={
            **SUBSCRIPTION,
            "is_active": False,
            "consecutive_failures": 5,
            "disabled_at": "2026-11-21T04:12:09.550310Z",
            "disabled_reason": "Disabled after 5 deliveries in a row failed; last answer: 503.",
            "updated_at": "2026-11-21T04:12:09.550310Z",
        },
        response_only=True,
    ),
]

CREATED_SUBSCRIPTION_EXAMPLES = [
    OpenApiExample(
        "A receiver, with its secret",
        value={**SUBSCRIPTION, "secret": "whsec_iyV7kGTrYbhGjKqgKpoKoxwEQcgCZfIGohAHZkR1dpw"},
        response_only=True,
        description="The secret is shown once: verify each delivery's X-PRM-Signature with it.",
    )
]

DELIVERY_EXAMPLES = [
    OpenApiExample(
        "Delivered on the second attempt",
        value={
            "id": 812,
            "event": "partner.status_changed",
            "event_id": "5d0c2b5e-3f5e-4d47-9a43-0b7a61e2c4f1",
            "state": "succeeded",
            "attempts": 2,
            "next_attempt_at": None,
            "delivered_at": "2026-11-24T10:04:19.032118Z",
            "created_at": "2026-11-24T10:03:17.951220Z",
            "payload": {
                "id": "5d0c2b5e-3f5e-4d47-9a43-0b7a61e2c4f1",
                "event": "partner.status_changed",
                "created_at": "2026-11-24T10:03:17.951Z",
                "tenant": "demo",
                "data": {
                    "ref": "northwind",
                    "name": "Northwind Traders",
                    "status": "active",
                    "from": "onboarding",
                    "to": "active",
                    "reason": "Contract signed on 24 November.",
                },
            },
            "attempt_log": [
                {
                    "attempted_at": "2026-11-24T10:04:19.010307Z",
                    "status_code": 200,
                    "error": "",
                    "duration_ms": 22,
                },
                {
                    "attempted_at": "2026-11-24T10:03:18.201544Z",
                    "status_code": 503,
                    "error": "",
                    "duration_ms": 211,
                },
            ],
        },
        response_only=True,
    )
]

REDELIVERY_EXAMPLES = [
    OpenApiExample(
        "Queued again",
        value={**DELIVERY_EXAMPLES[0].value, "state": "pending", "attempts": 0},
        description="Sent again with the same event id; the attempts so far stay in the log.",
        response_only=True,
        status_codes=[202],
    )
]
