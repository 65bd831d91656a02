"""Activity rows for the tests, the four body formats the ingestion API takes, and the
small reads the reporting tests share (metrics of one partner, pending keys)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from reporting import rollups
from reporting.models import DailyRollup, PendingRollup

EPOCH = date(1970, 1, 1)

ACTIVITY = "/api/v1/activity/"


def order(
    external_id: str,
    partner: str,
    *,
    status: str = "won",
    amount: str = "100.00",
    cost: str = "0.00",
    quantity: int = 1,
    channel: str = "direct",
    new_account: bool = False,
    ordered_at: str = "2026-02-01T09:00:00Z",
    closed_at: str | None = "2026-02-01T10:00:00Z",
    product: str = "",
) -> dict[str, Any]:
    if status == "open":
        closed_at = None
    return {
        "external_id": external_id,
        "partner": partner,
        "product": product,
        "status": status,
        "amount": amount,
        "cost": cost,
        "quantity": quantity,
        "channel": channel,
        "new_account": new_account,
        "ordered_at": ordered_at,
        "closed_at": closed_at,
    }


def call(
    external_id: str,
    partner: str,
    *,
    direction: str = "made",
    counterpart: str = "customer",
    duration_seconds: int = 60,
    occurred_at: str = "2026-02-01T09:00:00Z",
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "partner": partner,
        "direction": direction,
        "counterpart": counterpart,
        "duration_seconds": duration_seconds,
        "occurred_at": occurred_at,
    }


def contact(
    external_id: str,
    partner: str,
    *,
    created_at: str = "2026-02-01T09:00:00Z",
    converted_at: str | None = None,
    source: str = "web",
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "partner": partner,
        "source": source,
        "created_at": created_at,
        "converted_at": converted_at,
    }


def inventory(
    external_id: str,
    partner: str,
    *,
    items_listed: int,
    observed_at: str,
    product: str = "",
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "partner": partner,
        "product": product,
        "items_listed": items_listed,
        "observed_at": observed_at,
    }


# --- bodies -----------------------------------------------------------------------------


def as_ndjson(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def as_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue().encode()


def body_of(rows: Sequence[Mapping[str, Any]], form: str) -> tuple[bytes, str]:
    """`rows` as a body of `form` (object, array, ndjson, csv), with its content type."""
    if form == "object":
        (row,) = rows
        return json.dumps(row).encode(), "application/json"
    if form == "array":
        return json.dumps(list(rows)).encode(), "application/json"
    if form == "ndjson":
        return as_ndjson(rows), "application/x-ndjson"
    if form == "csv":
        return as_csv(rows), "text/csv"
    raise ValueError(form)


def send(
    client: Any,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    form: str = "array",
    atomic: bool = False,
) -> Any:
    """POST `rows` to /api/v1/activity/<kind>/ as `form`; returns the response."""
    body, content_type = body_of(rows, form)
    url = f"{ACTIVITY}{kind}/" + ("?atomic=true" if atomic else "")
    return client.generic("POST", url, data=body, content_type=content_type)


def accepted(response: Any) -> dict[str, Any]:
    """The answer of a 200 ingestion, after checking its shape."""
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    assert {"received", "created", "updated", "errors"} <= set(body)
    return body


# --- reads (inside the tenant) ----------------------------------------------------------


def pending_count() -> int:
    return PendingRollup.objects.count()


def rollup_rows(partner_ids: Iterable[int]) -> dict[tuple[int, Any], tuple[object, ...]]:
    """The rollups of these partners, by (partner id, day)."""
    wanted = set(partner_ids)
    return {
        key: values for key, values in rollups.snapshot(since=EPOCH).items() if key[0] in wanted
    }


def rollups_after_recompute(
    partner_ids: Iterable[int],
) -> dict[tuple[int, Any], tuple[object, ...]]:
    """What a full rebuild from raw rows gives for these partners."""
    rollups.recompute()
    return rollup_rows(partner_ids)


def day_row(partner_id: int, day: Any) -> DailyRollup | None:
    return DailyRollup.objects.filter(partner_id=partner_id, day=day).first()
