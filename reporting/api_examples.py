"""OpenAPI examples of the ingestion and metrics API, copied from what the API really
answers. tests/api/test_schema_examples.py checks each against its schema and sends the
order examples and the summary request to the API, comparing the answers' shapes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from drf_spectacular.utils import OpenApiExample

ROWS: dict[str, list[dict[str, Any]]] = {
    "orders": [
        {
            "external_id": "erp-1001",
            "partner": "northwind",
            "product": "router-x1",
            "status": "won",
            "amount": "1290.00",
            "cost": "880.00",
            "quantity": 1,
            "channel": "direct",
            "new_account": True,
            "ordered_at": "2026-11-20T10:00:00Z",
            "closed_at": "2026-11-24T15:30:00Z",
        },
        {
            "external_id": "erp-1002",
            "partner": "northwind",
            "product": "router-x1",
            "status": "open",
            "amount": "420.00",
            "cost": "300.00",
            "quantity": 2,
            "channel": "online_store",
            "new_account": False,
            "ordered_at": "2026-11-25T09:00:00Z",
            "closed_at": None,
        },
    ],
    "calls": [
        {
            "external_id": "pbx-77031",
            "partner": "northwind",
            "direction": "made",
            "counterpart": "customer",
            "duration_seconds": 312,
            "occurred_at": "2026-11-24T14:05:00Z",
        },
        {
            "external_id": "pbx-77032",
            "partner": "northwind",
            "direction": "received",
            "counterpart": "channel_team",
            "duration_seconds": 1260,
            "occurred_at": "2026-11-24T16:40:00Z",
        },
    ],
    "contacts": [
        {
            "external_id": "crm-lead-5521",
            "partner": "northwind",
            "source": "webinar",
            "created_at": "2026-11-18T11:00:00Z",
            "converted_at": "2026-11-24T15:30:00Z",
        },
        {
            "external_id": "crm-lead-5522",
            "partner": "northwind",
            "source": "trade show",
            "created_at": "2026-11-21T09:30:00Z",
            "converted_at": None,
        },
    ],
    "inventory": [
        {
            "external_id": "shop-2026-11-24-router-x1",
            "partner": "northwind",
            "product": "router-x1",
            "items_listed": 14,
            "observed_at": "2026-11-24T23:00:00Z",
        },
        {
            "external_id": "shop-2026-11-25-router-x1",
            "partner": "northwind",
            "product": "router-x1",
            "items_listed": 11,
            "observed_at": "2026-11-25T23:00:00Z",
        },
    ],
}

# One invalid row per kind for the answer with errors, and the messages it gets.
INVALID_ROWS: dict[str, tuple[dict[str, Any], dict[str, list[str]]]] = {
    "orders": (
        {**ROWS["orders"][0], "external_id": "erp-1003", "amount": "12,90"},
        {"amount": ["“12,90” is not an amount; send a number like 1234.50."]},
    ),
    "calls": (
        {**ROWS["calls"][0], "external_id": "pbx-77033", "direction": "missed"},
        {"direction": ["“missed” is not one of made, received."]},
    ),
    "contacts": (
        {**ROWS["contacts"][0], "external_id": "crm-lead-5523", "partner": "southwind"},
        {"partner": ["There is no partner with ref “southwind”."]},
    ),
    "inventory": (
        {**ROWS["inventory"][0], "external_id": "shop-x", "observed_at": "yesterday"},
        {"observed_at": ["“yesterday” is not an ISO 8601 time like 2026-11-27T14:30:00Z."]},
    ),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue()


def _ndjson(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def ingest_examples(kind: str) -> list[OpenApiExample]:
    """Request bodies in the four forms, and the answers (all stored, some rows invalid)."""
    rows = ROWS[kind]
    invalid, messages = INVALID_ROWS[kind]
    return [
        OpenApiExample(
            "One object", value=rows[0], media_type="application/json", request_only=True
        ),
        OpenApiExample(
            "A JSON array", value=rows, media_type="application/json", request_only=True
        ),
        OpenApiExample(
            "NDJSON, one object a line",
            value=_ndjson(rows),
            media_type="application/x-ndjson",
            request_only=True,
        ),
        OpenApiExample(
            "CSV with a header line",
            value=_csv(rows),
            media_type="text/csv",
            request_only=True,
            description="Empty cells are empty values; booleans are true or false.",
        ),
        OpenApiExample(
            "A JSON array with an invalid row",
            value=[rows[0], invalid],
            media_type="application/json",
            request_only=True,
        ),
        OpenApiExample(
            "Every row stored",
            value={
                "received": len(rows),
                "created": len(rows) - 1,
                "updated": 1,
                "unchanged": 0,
                "errors": [],
            },
            response_only=True,
            description="created: new external_ids; updated: known ones whose fields "
            "changed; unchanged: known ones sent again as they were.",
        ),
        OpenApiExample(
            "Valid rows stored, one row reported",
            value={
                "received": 2,
                "created": 1,
                "updated": 0,
                "unchanged": 0,
                "errors": [{"index": 1, "errors": messages}],
            },
            response_only=True,
            description="Rows are counted from 0 in the order sent (CSV: the header "
            "line is not a row). With ?atomic=true nothing would be stored: 400.",
        ),
    ]


STORED: dict[str, str] = {
    "ingested_at": "2026-11-24T15:31:02.118307Z",
    "updated_at": "2026-11-24T15:31:02.118307Z",
}

ACTIVITY_EXAMPLES: dict[str, list[OpenApiExample]] = {
    kind: [OpenApiExample("A stored row", value={**ROWS[kind][0], **STORED}, response_only=True)]
    for kind in ROWS
}

COMPONENTS: dict[str, Any] = {
    "orders_opened": 3,
    "orders_won": 2,
    "orders_lost": 1,
    "revenue": "1930.00",
    "cost": "1290.00",
    "items_sold": 2,
    "items_online_store": 1,
    "items_display_shelf": 0,
    "new_accounts": 1,
    "calls_made": 4,
    "calls_received": 2,
    "call_seconds": 3120,
    "channel_calls": 1,
    "contacts_generated": 5,
    "contacts_converted": 2,
    "first_order_at": "2026-11-22T11:00:00Z",
    "last_order_at": "2026-11-24T15:30:00Z",
}

METRICS: dict[str, Any] = {
    "avg_order_value": "965.00",
    "cost_per_sale": "645.00",
    "avg_item_price": "965.00",
    "win_rate": "0.6667",
    "avg_days_between_orders": "2.19",
    "margin": "640.00",
}

# A partner with no activity in the period: zeros, and null where a metric would divide
# by zero.
NOTHING: dict[str, Any] = {
    **dict.fromkeys(COMPONENTS, 0),
    "revenue": "0.00",
    "cost": "0.00",
    "first_order_at": None,
    "last_order_at": None,
}
NO_METRICS: dict[str, Any] = {**dict.fromkeys(METRICS), "margin": "0.00"}

PARTNER_METRICS = OpenApiExample(
    "Two partners, one without activity",
    value={
        "from": "2026-11-01",
        "to": "2026-11-30",
        "count": 2,
        "results": [
            {
                "partner": "northwind",
                "name": "Northwind Traders",
                **COMPONENTS,
                "inventory_listed": 11,
                **METRICS,
            },
            {
                "partner": "southwind",
                "name": "Southwind Supplies",
                **NOTHING,
                "inventory_listed": None,
                **NO_METRICS,
            },
        ],
    },
    response_only=True,
    description="Money is a decimal string; a metric that would divide by zero is null.",
)

PARTNER_SERIES = OpenApiExample(
    "Monthly, an empty month included",
    value={
        "partner": "northwind",
        "interval": "month",
        "from": "2026-10-01",
        "to": "2026-11-30",
        "series": [
            {"start": "2026-10-01", **NOTHING, **NO_METRICS},
            {"start": "2026-11-01", **COMPONENTS, **METRICS},
        ],
    },
    response_only=True,
    description="Weeks start on Monday; each bucket is summed first, then divided.",
)

SUMMARY = OpenApiExample(
    "A month of the tenant",
    value={
        "from": "2026-11-01",
        "to": "2026-11-30",
        "partners": 2,
        "partners_sold": 1,
        "affiliates_converted": 0,
        "contacts_per_partner": "2.50",
        **COMPONENTS,
        **METRICS,
    },
    response_only=True,
    description="partners counts those not terminated; money is a decimal string; a "
    "metric that would divide by zero is null.",
)

STATUS_EXAMPLES = [
    OpenApiExample(
        "Up to date",
        value={"pending": 0, "as_of": "2026-11-24T15:31:04.902117Z"},
        response_only=True,
    ),
    OpenApiExample(
        "Rows still being folded in",
        value={"pending": 3, "as_of": "2026-11-24T15:31:04.902117Z"},
        response_only=True,
    ),
]
