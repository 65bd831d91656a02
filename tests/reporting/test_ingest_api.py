"""POST /api/v1/activity/{orders,calls,contacts,inventory}/: one object, a JSON array,
NDJSON or CSV; valid rows stored and invalid ones reported by index; ?atomic=true; the
body size limit; the days a row counts on (tenant time zone, ordered vs closed)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from reporting.models import Call, InventorySnapshot, Lead, Order, PendingRollup
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.reporting.activity import (
    ACTIVITY,
    accepted,
    call,
    contact,
    day_row,
    inventory,
    order,
    send,
)
from tests.reporting.conftest import Catalogue

FORMS = ("object", "array", "ndjson", "csv")


def stored_orders(catalogue: Catalogue) -> dict[str, Order]:
    with tenant_schema(catalogue.tenant):
        return {
            row.external_id: row
            for row in Order.objects.filter(partner_id__in=catalogue.partner_ids)
        }


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_each_body_format_stores_its_orders(
    form: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given orders of acme (one row for the single-object form)
    rows = [
        order(
            "fmt-1",
            alpha_catalogue.ref("acme"),
            amount="300.50",
            cost="120.25",
            quantity=3,
            channel="online_store",
            new_account=True,
            product=alpha_catalogue.sku("gadget"),
            ordered_at="2026-02-01T08:00:00+01:00",
            closed_at="2026-02-02T12:30:00Z",
        ),
        order("fmt-2", alpha_catalogue.ref("bolt"), status="open"),
    ][: 1 if form == "object" else 2]

    # when they are sent in that format
    body = accepted(send(alpha_api, "orders", rows, form=form))

    # then every row was created, exactly as sent
    assert body == {
        "received": len(rows),
        "created": len(rows),
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    stored = stored_orders(alpha_catalogue)
    assert set(stored) == {row["external_id"] for row in rows}
    first = stored["fmt-1"]
    assert (first.status, first.amount, first.cost, first.quantity) == (
        "won",
        Decimal("300.50"),
        Decimal("120.25"),
        3,
    )
    assert (first.channel, first.new_account) == ("online_store", True)
    assert first.product_id == alpha_catalogue.products["gadget"].pk
    assert first.ordered_at == datetime.fromisoformat("2026-02-01T07:00:00+00:00")
    assert first.closed_at == datetime.fromisoformat("2026-02-02T12:30:00+00:00")
    if form != "object":
        assert (stored["fmt-2"].status, stored["fmt-2"].closed_at) == ("open", None)


@pytest.mark.parametrize("form", ["array", "ndjson", "csv"])
def test_calls_contacts_and_inventory_are_stored_in_every_format(
    form: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given a call, a contact and an inventory snapshot of acme
    acme = alpha_catalogue.ref("acme")
    batches = {
        "calls": [
            call(
                f"c-{form}",
                acme,
                direction="received",
                counterpart="channel_team",
                duration_seconds=95,
            )
        ],
        "contacts": [
            contact(
                f"l-{form}",
                acme,
                created_at="2026-02-01T09:00:00Z",
                converted_at="2026-02-03T09:00:00Z",
            )
        ],
        "inventory": [
            inventory(
                f"i-{form}",
                acme,
                items_listed=42,
                observed_at="2026-02-01T09:00:00Z",
                product=alpha_catalogue.sku("widget"),
            )
        ],
    }

    # when each is sent to its URL
    answers = {
        kind: accepted(send(alpha_api, kind, rows, form=form)) for kind, rows in batches.items()
    }

    # then each was created
    assert {kind: (body["created"], body["errors"]) for kind, body in answers.items()} == {
        kind: (1, []) for kind in batches
    }
    with tenant_schema(alpha_catalogue.tenant):
        assert Call.objects.filter(
            external_id=f"c-{form}",
            direction="received",
            counterpart="channel_team",
            duration_seconds=95,
        ).exists()
        assert Lead.objects.filter(external_id=f"l-{form}", converted_at__isnull=False).exists()
        assert InventorySnapshot.objects.filter(
            external_id=f"i-{form}",
            items_listed=42,
            product=alpha_catalogue.products["widget"],
        ).exists()


# --- row errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["array", "ndjson", "csv"])
def test_invalid_rows_are_reported_by_index_while_valid_rows_are_stored(
    form: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given five rows: 0 and 2 valid; 1 with a bad amount and no status; 3 of an
    # unknown partner; 4 of an unknown product and a won order with no closed_at
    acme = alpha_catalogue.ref("acme")
    bad_amount = order("err-1", acme, amount="12.345")
    bad_amount["status"] = ""
    no_product = order("err-4", acme, product="no-such-sku", closed_at=None)
    rows = [
        order("err-0", acme),
        bad_amount,
        order("err-2", acme, status="lost"),
        order("err-3", "no-such-partner"),
        no_product,
    ]

    # when they are sent
    body = accepted(send(alpha_api, "orders", rows, form=form))

    # then the valid rows were stored and every bad row is named by index and field
    assert (body["received"], body["created"]) == (5, 2)
    errors = {error["index"]: error["errors"] for error in body["errors"]}
    assert set(errors) == {1, 3, 4}
    assert set(errors[1]) == {"amount", "status"}
    assert "more than two decimals" in errors[1]["amount"][0]
    assert errors[1]["status"] == ["This field is required."]
    assert errors[3] == {"partner": ["There is no partner with ref “no-such-partner”."]}
    assert set(errors[4]) == {"product", "closed_at"}
    assert errors[4]["product"] == ["There is no product with SKU “no-such-sku”."]
    assert set(stored_orders(alpha_catalogue)) == {"err-0", "err-2"}


def test_a_row_that_is_not_an_object_is_a_row_error(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given an array holding an order and a number
    rows: list[Any] = [order("obj-0", alpha_catalogue.ref("acme")), 7]

    # when it is sent
    response = alpha_api.generic(
        "POST", f"{ACTIVITY}orders/", json.dumps(rows), content_type="application/json"
    )

    # then the number is reported and the order stored
    body = accepted(response)
    assert body["created"] == 1
    assert body["errors"] == [
        {"index": 1, "errors": {"non_field_errors": ["Each row must be an object."]}}
    ]


def test_no_valid_row_at_all_is_a_400_listing_the_errors(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # when only bad rows are sent
    response = send(alpha_api, "calls", [call("x-0", alpha_catalogue.ref("acme"), direction="up")])

    # then nothing was stored and the answer says why, row by row
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [
        {"index": 0, "errors": {"direction": ["“up” is not one of made, received."]}}
    ]
    assert body["created"] == 0


# --- atomic ---------------------------------------------------------------------------------


def test_atomic_stores_nothing_when_one_row_is_bad(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given three orders, the last of an unknown partner
    acme = alpha_catalogue.ref("acme")
    rows = [order("atom-0", acme), order("atom-1", acme), order("atom-2", "nobody-here")]

    # when they are sent with atomic=true
    response = send(alpha_api, "orders", rows, atomic=True)

    # then it is a 400 naming the bad row, and nothing was stored, not even outbox keys
    assert response.status_code == 400, response.content
    body = response.json()
    assert "atomic=true" in body["message"]
    assert [error["index"] for error in body["errors"]] == [2]
    assert (body["created"], body["updated"]) == (0, 0)
    assert stored_orders(alpha_catalogue) == {}
    with tenant_schema(alpha_catalogue.tenant):
        assert not PendingRollup.objects.filter(partner_id__in=alpha_catalogue.partner_ids).exists()


def test_atomic_stores_everything_when_every_row_is_good(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given three good orders
    acme = alpha_catalogue.ref("acme")
    rows = [order(f"atom-ok-{index}", acme) for index in range(3)]

    # when they are sent with atomic=true
    body = accepted(send(alpha_api, "orders", rows, atomic=True))

    # then all three were stored
    assert (body["created"], body["errors"]) == (3, [])
    assert set(stored_orders(alpha_catalogue)) == {row["external_id"] for row in rows}


def test_atomic_spans_batches(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given batches of two rows, and a bad row in the third batch
    from reporting import ingest

    monkeypatch.setattr(ingest.ingest, "__kwdefaults__", {"atomic": False, "batch_size": 2})
    acme = alpha_catalogue.ref("acme")
    rows = [order(f"span-{index}", acme) for index in range(5)]
    rows[4]["amount"] = "-1"

    # when they are sent with atomic=true
    response = send(alpha_api, "orders", rows, atomic=True)

    # then the first two batches, already merged, were rolled back too
    assert response.status_code == 400
    assert [error["index"] for error in response.json()["errors"]] == [4]
    assert stored_orders(alpha_catalogue) == {}


# --- the body: size, type, syntax -----------------------------------------------------------


def test_a_declared_body_over_the_limit_is_413(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, settings: Any
) -> None:
    # given a limit of 300 bytes and a body over it
    settings.PRM_INGEST_MAX_BYTES = 300
    rows = [order(f"big-{index}", alpha_catalogue.ref("acme")) for index in range(3)]

    # when it is sent
    response = send(alpha_api, "orders", rows, form="ndjson")

    # then it is refused whole, with the limit named
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "too_large"
    assert "300 bytes" in response.json()["message"]
    assert stored_orders(alpha_catalogue) == {}


def chunked(client: TenantClient, url: str, body: bytes, content_type: str) -> Any:
    """POST `body` the way a WSGI server hands over a chunked request: no Content-Length,
    and the input stream marked as ending where the body ends (wsgi.input_terminated)."""
    environ: dict[str, Any] = {
        # (the test client sets neither header for an empty `data`)
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
    }
    return client.generic("POST", url, data=b"", **environ)


def test_a_chunked_body_is_read(alpha_api: TenantClient, alpha_catalogue: Catalogue) -> None:
    # given two orders in a body without Content-Length (Transfer-Encoding: chunked)
    acme = alpha_catalogue.ref("acme")
    rows = [order("chunk-0", acme), order("chunk-1", acme)]
    body = "".join(json.dumps(row) + "\n" for row in rows).encode()

    # when it is sent
    response = chunked(alpha_api, f"{ACTIVITY}orders/", body, "application/x-ndjson")

    # then both rows were read and stored
    assert accepted(response)["created"] == 2
    assert set(stored_orders(alpha_catalogue)) == {"chunk-0", "chunk-1"}


def test_a_chunked_body_over_the_limit_is_413(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, settings: Any
) -> None:
    # given a limit of 300 bytes and a chunked body of far more, with no declared length
    settings.PRM_INGEST_MAX_BYTES = 300
    acme = alpha_catalogue.ref("acme")
    body = "".join(json.dumps(order(f"flood-{index}", acme)) + "\n" for index in range(200))

    # when it is streamed
    response = chunked(alpha_api, f"{ACTIVITY}orders/", body.encode(), "application/x-ndjson")

    # then reading stops at the limit and nothing was stored
    assert response.status_code == 413, response.content
    assert stored_orders(alpha_catalogue) == {}


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/plain", "multipart/form-data; boundary=x"]
)
def test_another_content_type_is_415(
    content_type: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # when a body of another type is sent
    response = alpha_api.generic(
        "POST", f"{ACTIVITY}orders/", b"<order/>", content_type=content_type
    )

    # then it is refused, naming the types that are accepted
    assert response.status_code == 415, response.content
    body = response.json()
    assert body["code"] == "unsupported_media_type"
    assert "application/x-ndjson" in body["message"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'[{"external_id": "p-0", ', "application/json"),
        (b"{not json}", "application/json"),
        (b'{"external_id": "p-1"}\n{"external_id": \n', "application/x-ndjson"),
        (b"external_id,partner\n\xff\xfe\xfa,acme\n", "text/csv"),
    ],
    ids=["truncated-array", "garbage-json", "broken-ndjson-line", "not-utf8-csv"],
)
def test_a_body_that_does_not_parse_is_400(
    body: bytes, content_type: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # when a body that is not what its type says is sent
    response = alpha_api.generic("POST", f"{ACTIVITY}orders/", body, content_type=content_type)

    # then it is a 400 parse error and nothing was stored
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert stored_orders(alpha_catalogue) == {}


def test_a_body_that_breaks_off_after_stored_batches_says_what_was_stored(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given batches of two rows and a body whose sixth line does not parse
    monkeypatch.setattr("reporting.ingest.BATCH_SIZE", 2)
    acme = alpha_catalogue.ref("acme")
    lines = [json.dumps(order(f"part-{index}", acme)) for index in range(5)]
    body = ("\n".join(lines) + '\n{"external_id": \n').encode()

    # when it is sent without atomic=true
    response = alpha_api.generic(
        "POST", f"{ACTIVITY}orders/", body, content_type="application/x-ndjson"
    )

    # then the answer is a parse error that says the first two batches were stored
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "parse_error"
    assert (answer["received"], answer["created"], answer["updated"]) == (4, 4, 0)
    assert "first 4 rows were read and 4 of them stored" in answer["message"]
    assert set(stored_orders(alpha_catalogue)) == {f"part-{index}" for index in range(4)}


def test_an_atomic_body_that_breaks_off_stores_nothing(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the same broken body, sent with atomic=true
    monkeypatch.setattr("reporting.ingest.BATCH_SIZE", 2)
    acme = alpha_catalogue.ref("acme")
    lines = [json.dumps(order(f"whole-{index}", acme)) for index in range(5)]
    body = ("\n".join(lines) + '\n{"external_id": \n').encode()

    # when it is sent
    response = alpha_api.generic(
        "POST", f"{ACTIVITY}orders/?atomic=true", body, content_type="application/x-ndjson"
    )

    # then nothing was stored, and the answer says so
    assert response.status_code == 400, response.content
    answer = response.json()
    assert (answer["created"], answer["updated"]) == (0, 0)
    assert "Nothing was stored" in answer["message"]
    assert stored_orders(alpha_catalogue) == {}


# --- who may send -----------------------------------------------------------------------------


def test_only_write_keys_may_send(
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
    alpha_partner: TenantClient,
    alpha_catalogue: Catalogue,
) -> None:
    # given a read-only key, a partner user and nobody
    rows = [order("who-0", alpha_catalogue.ref("acme"))]
    read_only = api_client(tenant_a, scopes=["read"])

    # when each sends an order, then each is refused and nothing was stored
    assert send(read_only, "orders", rows).status_code == 403
    assert send(alpha_partner, "orders", rows).status_code == 403
    assert send(client_for(tenant_a), "orders", rows).status_code == 401
    assert stored_orders(alpha_catalogue) == {}


# --- updates and days -------------------------------------------------------------------------


def test_an_update_moves_the_numbers_between_days(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> None:
    acme, acme_id = alpha_catalogue.ref("acme"), alpha_catalogue.id("acme")
    opened: dict[str, Any] = {
        "status": "open",
        "amount": "300.50",
        "cost": "100.00",
        "ordered_at": "2026-02-01T09:00:00Z",
    }

    def day(value: str) -> tuple[int, int, Decimal, Decimal] | None:
        with tenant_schema(alpha_catalogue.tenant):
            row = day_row(acme_id, date.fromisoformat(value))
        if row is None:
            return None
        return (row.orders_opened, row.orders_won, row.revenue, row.cost)

    # given an open order, folded: it counts as opened on the day it was ordered
    assert accepted(send(alpha_api, "orders", [order("move", acme, **opened)]))["created"] == 1
    fold()
    assert day("2026-02-01") == (1, 0, Decimal("0.00"), Decimal("0.00"))

    # when it is won, closed two days later
    won = order("move", acme, **{**opened, "status": "won"}, closed_at="2026-02-03T15:00:00Z")
    assert accepted(send(alpha_api, "orders", [won]))["updated"] == 1
    fold()

    # then it is still opened on the day it was ordered, and won with its revenue on
    # the day it was closed
    assert day("2026-02-01") == (1, 0, Decimal("0.00"), Decimal("0.00"))
    assert day("2026-02-03") == (0, 1, Decimal("300.50"), Decimal("100.00"))

    # when its closing moves to another day
    moved = {**won, "closed_at": "2026-02-05T10:00:00Z"}
    assert accepted(send(alpha_api, "orders", [moved]))["updated"] == 1
    fold()

    # then the revenue moved with it, and the old day is back to nothing
    assert day("2026-02-03") in (None, (0, 0, Decimal("0.00"), Decimal("0.00")))
    assert day("2026-02-05") == (0, 1, Decimal("300.50"), Decimal("100.00"))
    assert day("2026-02-01") == (1, 0, Decimal("0.00"), Decimal("0.00"))

    # and the metrics API agrees, day by day
    series = alpha_api.get(
        f"/api/v1/metrics/partners/{acme}/series/",
        {"from": "2026-02-01", "to": "2026-02-05", "interval": "day"},
    ).json()["series"]
    assert [(bucket["start"], bucket["orders_opened"], bucket["revenue"]) for bucket in series] == [
        ("2026-02-01", 1, "0.00"),
        ("2026-02-02", 0, "0.00"),
        ("2026-02-03", 0, "0.00"),
        ("2026-02-04", 0, "0.00"),
        ("2026-02-05", 0, "300.50"),
    ]


def test_resending_an_unchanged_row_changes_nothing(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> None:
    # given an order, stored and folded
    row = order("same", alpha_catalogue.ref("acme"))
    assert accepted(send(alpha_api, "orders", [row]))["created"] == 1
    fold()

    # when it is sent again, as CSV this time
    body = accepted(send(alpha_api, "orders", [row], form="csv"))

    # then it is unchanged, and no rollup is due
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 1)
    with tenant_schema(alpha_catalogue.tenant):
        assert not PendingRollup.objects.exists()


def test_a_row_sent_twice_in_one_body_counts_once_with_its_last_values(
    alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given a body where one external_id comes twice
    acme = alpha_catalogue.ref("acme")
    rows = [order("twice", acme, amount="1.00"), order("twice", acme, amount="2.00")]

    # when it is sent
    body = accepted(send(alpha_api, "orders", rows))

    # then one row was created, with the later values
    assert (body["received"], body["created"]) == (2, 1)
    assert stored_orders(alpha_catalogue)["twice"].amount == Decimal("2.00")


def test_days_are_the_tenants_days(
    new_york_alpha: Any,
    alpha_api: TenantClient,
    alpha_catalogue: Catalogue,
    fold: Callable[[], int],
) -> None:
    # given alpha keeps New York time, an order closed at 03:00 UTC on 1 March (22:00
    # on 28 February in New York), and a call with no offset, read as New York time
    acme, acme_id = alpha_catalogue.ref("acme"), alpha_catalogue.id("acme")
    late = order(
        "ny-late",
        acme,
        amount="75.00",
        ordered_at="2026-02-28T20:00:00Z",
        closed_at="2026-03-01T03:00:00Z",
    )
    local = call("ny-call", acme, occurred_at="2026-03-01T23:30:00")

    # when they are sent and folded
    accepted(send(alpha_api, "orders", [late]))
    accepted(send(alpha_api, "calls", [local]))
    fold()

    # then the order counts on 28 February, and the call at 23:30 local on 1 March
    with tenant_schema(alpha_catalogue.tenant):
        won_on_28 = day_row(acme_id, date(2026, 2, 28))
        march_1 = day_row(acme_id, date(2026, 3, 1))
        stored_call = Call.objects.get(external_id="ny-call")
    assert won_on_28 is not None
    assert (won_on_28.orders_won, won_on_28.revenue, won_on_28.orders_opened) == (
        1,
        Decimal("75.00"),
        1,
    )
    assert march_1 is not None
    assert (march_1.orders_won, march_1.calls_made) == (0, 1)
    assert stored_call.occurred_at == datetime.fromisoformat("2026-03-02T04:30:00+00:00")

    # and the metrics API reads the same days
    rows = alpha_api.get(
        "/api/v1/metrics/partners/",
        {"from": "2026-02-28", "to": "2026-02-28", "tag": alpha_catalogue.tag},
    ).json()["results"]
    assert {row["partner"]: row["revenue"] for row in rows}[acme] == "75.00"
