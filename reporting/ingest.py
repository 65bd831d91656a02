"""Ingestion of activity rows: validate, upsert by external_id, mark rollups pending.

Hand-written rather than a DRF serializer per row, because the contract asks for
bulk speed (see bench/ingest.py): rows are checked in Python with batched reference
lookups, copied into a temporary table with COPY, and merged by one SQL statement
per batch that (a) inserts or updates by external_id, skipping rows that did not
change, and (b) records in the outbox every (partner, day) whose rollup the batch
changed, old days included when a row moves, all in the same transaction.

Rows come from any iterable (a streamed body), a batch at a time, so memory stays
flat however large the upload. Without `atomic`, each batch commits on its own and
an invalid row only costs itself; with `atomic`, everything is one transaction that
is rolled back if any row is invalid.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from partners.models import Partner, Product
from prm.tenancy.db import current_time_zone

from .models import CallDirection, Counterpart, OrderStatus, SalesChannel

BATCH_SIZE = 5000
MONEY_LIMIT = Decimal("999999999999.99")
CENT = Decimal("0.01")
# The choices' values, computed once: an enum's `.values` builds a new list per call.
ORDER_STATUSES = tuple(OrderStatus.values)
SALES_CHANNELS = tuple(SalesChannel.values)
CALL_DIRECTIONS = tuple(CallDirection.values)
COUNTERPARTS = tuple(Counterpart.values)


class RowsUnreadable(Exception):
    """Reading the rows failed part-way (a body too large, or not parsable).

    Without `atomic`, the batches before the failure are stored: `result` counts them,
    so the caller can say so. With `atomic`, nothing is stored and `result` says that.
    """

    def __init__(self, cause: Exception, result: IngestResult | None = None):
        super().__init__(str(cause))
        self.cause = cause
        self.result = result or IngestResult()


def _reading(rows: Iterable[Any]) -> Iterator[Any]:
    """`rows`, with a failure of the reader itself told apart from a failure to store."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            raise RowsUnreadable(error) from error
        yield row


class RowError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Rows past this many errors are still counted, but their errors are not listed.
    max_listed_errors: int = 1000
    errors_not_listed: int = 0

    def add_error(self, index: int, errors: dict[str, list[str]]) -> None:
        if len(self.errors) < self.max_listed_errors:
            self.errors.append({"index": index, "errors": errors})
        else:
            self.errors_not_listed += 1

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_not_listed

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }
        if self.errors_not_listed:
            body["errors_not_listed"] = self.errors_not_listed
        return body


# --- field parsers: each returns the value or raises ValueError with a message -----------


def _text(value: Any, *, required: bool, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValueError("This field is required.")
    if len(text) > max_length:
        raise ValueError(f"Use at most {max_length} characters.")
    return text


def _money(value: Any, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ValueError("This field is required.")
        return None
    if isinstance(value, bool | float):
        # A float has already lost the exact amount; ask for a string or a JSON number.
        value = str(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not an amount; send a number like 1234.50.") from None
    if not amount.is_finite() or amount < 0 or amount > MONEY_LIMIT:
        raise ValueError(f"{value} is out of range (0 to {MONEY_LIMIT}).")
    cents = amount.quantize(CENT)
    if amount != cents:
        raise ValueError(f"{value} has more than two decimals.")
    return cents


def _count(value: Any, *, default: int | None) -> int:
    if value is None or value == "":
        if default is None:
            raise ValueError("This field is required.")
        return default
    if isinstance(value, bool):
        raise ValueError(f"“{value}” is not a whole number.")
    # Fast paths for the usual shapes (a JSON integer, a CSV field of digits); the
    # answer is the one the Decimal path below would give.
    if type(value) is int:
        if 0 <= value <= 2_000_000_000:
            return value
        raise ValueError(f"“{value}” is not a whole number from 0 to 2000000000.")
    if type(value) is str:
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and int(digits) <= 2_000_000_000:
            return int(digits)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not a whole number.") from None
    if number != number.to_integral_value() or number < 0 or number > 2_000_000_000:
        raise ValueError(f"“{value}” is not a whole number from 0 to 2000000000.")
    return int(number)


TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"“{value}” is not true or false.")


def _choice(value: Any, choices: tuple[str, ...], *, default: str | None) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        if default is None:
            raise ValueError("This field is required.")
        return default
    if text not in choices:
        raise ValueError(f"“{text}” is not one of {', '.join(choices)}.")
    return text


def _moment(value: Any, *, required: bool, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 time; one without an offset is read in the tenant's time zone."""
    if value is None or value == "":
        if required:
            raise ValueError("This field is required.")
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"“{value}” is not an ISO 8601 time like 2026-11-27T14:30:00Z.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


# --- kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    # API fields accepted (besides external_id and partner), and the columns written.
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    # Timestamp columns whose (tenant-local) days are the rollup keys a row touches.
    day_columns: tuple[str, ...]
    parse: Callable[[Mapping[str, Any], Lookups], tuple[Any, ...]]


class Lookups:
    """Partner refs and product SKUs to ids, fetched a batch at a time and kept."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.partners: dict[str, int | None] = {}
        self.products: dict[str, int | None] = {}

    def prefetch(self, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
        # Rows that are not objects are reported as such by the caller; skipped here.
        objects = [row for _, row in rows if isinstance(row, Mapping)]
        refs = {str(row.get("partner") or "").strip() for row in objects} - set(self.partners)
        skus = {str(row.get("product") or "").strip() for row in objects} - set(self.products)
        refs.discard("")
        skus.discard("")
        if refs:
            found = dict(Partner.objects.filter(ref__in=refs).values_list("ref", "id"))
            self.partners.update({ref: found.get(ref) for ref in refs})
        if skus:
            found = dict(Product.objects.filter(sku__in=skus).values_list("sku", "id"))
            self.products.update({sku: found.get(sku) for sku in skus})

    def partner(self, value: Any) -> int:
        ref = _text(value, required=True, max_length=64)
        partner_id = self.partners.get(ref)
        if partner_id is None:
            raise ValueError(f"There is no partner with ref “{ref}”.")
        return partner_id

    def product(self, value: Any, *, required: bool) -> int | None:
        sku = _text(value, required=required, max_length=64)
        if not sku:
            return None
        product_id = self.products.get(sku)
        if product_id is None:
            raise ValueError(f"There is no product with SKU “{sku}”.")
        return product_id


class _Row:
    """Collects a row's field errors so one answer names every bad field."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.errors: dict[str, list[str]] = {}

    def get(self, name: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(self.raw.get(name))
        except ValueError as error:
            self.errors.setdefault(name, []).append(str(error))
            return None

    def check(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def done(self) -> None:
        if self.errors:
            raise RowError(self.errors)


def _parse_order(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    zone = lookups.zone
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    product_id = row.get("product", lambda v: lookups.product(v, required=False))
    status = row.get("status", lambda v: _choice(v, ORDER_STATUSES, default=None))
    amount = row.get("amount", lambda v: _money(v, required=True))
    cost = row.get("cost", lambda v: _money(v, required=False))
    quantity = row.get("quantity", lambda v: _count(v, default=1))
    channel = row.get("channel", lambda v: _choice(v, SALES_CHANNELS, default=SalesChannel.OTHER))
    new_account = row.get("new_account", _flag)
    ordered_at = row.get("ordered_at", lambda v: _moment(v, required=True, zone=zone))
    closed_at = row.get("closed_at", lambda v: _moment(v, required=False, zone=zone))
    if (
        status in (OrderStatus.WON, OrderStatus.LOST)
        and closed_at is None
        and "closed_at" not in row.errors
    ):
        row.check("closed_at", f"A {status} order needs closed_at: the day it counts on.")
    if status == OrderStatus.OPEN and closed_at is not None:
        row.check("closed_at", "An open order is not closed; leave closed_at empty.")
    if closed_at is not None and ordered_at is not None and closed_at < ordered_at:
        row.check("closed_at", "closed_at is before ordered_at.")
    row.done()
    return (
        external_id,
        partner_id,
        product_id,
        status,
        amount,
        cost or Decimal("0.00"),
        quantity,
        channel,
        new_account,
        ordered_at,
        closed_at,
    )


def _parse_call(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    direction = row.get("direction", lambda v: _choice(v, CALL_DIRECTIONS, default=None))
    counterpart = row.get(
        "counterpart", lambda v: _choice(v, COUNTERPARTS, default=Counterpart.CUSTOMER)
    )
    duration = row.get("duration_seconds", lambda v: _count(v, default=0))
    occurred_at = row.get("occurred_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    row.done()
    return (external_id, partner_id, direction, counterpart, duration, occurred_at)


def _parse_contact(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    source = row.get("source", lambda v: _text(v, required=False, max_length=100))
    created_at = row.get("created_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    converted_at = row.get("converted_at", lambda v: _moment(v, required=False, zone=lookups.zone))
    if created_at is not None and converted_at is not None and converted_at < created_at:
        row.check("converted_at", "converted_at is before created_at.")
    row.done()
    return (external_id, partner_id, source, created_at, converted_at)


def _parse_inventory(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    product_id = row.get("product", lambda v: lookups.product(v, required=False))
    items = row.get("items_listed", lambda v: _count(v, default=None))
    observed_at = row.get("observed_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    row.done()
    return (external_id, partner_id, product_id, items, observed_at)


KINDS: dict[str, Kind] = {
    "orders": Kind(
        "orders",
        "reporting_order",
        (
            "product",
            "status",
            "amount",
            "cost",
            "quantity",
            "channel",
            "new_account",
            "ordered_at",
            "closed_at",
        ),
        (
            "external_id",
            "partner_id",
            "product_id",
            "status",
            "amount",
            "cost",
            "quantity",
            "channel",
            "new_account",
            "ordered_at",
            "closed_at",
        ),
        ("ordered_at", "closed_at"),
        _parse_order,
    ),
    "calls": Kind(
        "calls",
        "reporting_call",
        ("direction", "counterpart", "duration_seconds", "occurred_at"),
        (
            "external_id",
            "partner_id",
            "direction",
            "counterpart",
            "duration_seconds",
            "occurred_at",
        ),
        ("occurred_at",),
        _parse_call,
    ),
    "contacts": Kind(
        "contacts",
        "reporting_lead",
        ("source", "created_at", "converted_at"),
        ("external_id", "partner_id", "source", "created_at", "converted_at"),
        ("created_at", "converted_at"),
        _parse_contact,
    ),
    "inventory": Kind(
        "inventory",
        "reporting_inventorysnapshot",
        ("product", "items_listed", "observed_at"),
        ("external_id", "partner_id", "product_id", "items_listed", "observed_at"),
        ("observed_at",),
        _parse_inventory,
    ),
}

_COLUMN_TYPES = {
    "external_id": "text",
    "partner_id": "bigint",
    "product_id": "bigint",
    "status": "text",
    "amount": "numeric(14,2)",
    "cost": "numeric(14,2)",
    "quantity": "integer",
    "channel": "text",
    "new_account": "boolean",
    "ordered_at": "timestamptz",
    "closed_at": "timestamptz",
    "direction": "text",
    "counterpart": "text",
    "duration_seconds": "integer",
    "occurred_at": "timestamptz",
    "source": "text",
    "created_at": "timestamptz",
    "converted_at": "timestamptz",
    "items_listed": "integer",
    "observed_at": "timestamptz",
}


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and any(char in text for char in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


# _copy_value by exact type, for the types parsing produces; anything else (a str
# subclass such as a choices default, say) goes through _copy_value itself.
_COPY_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda value: "\\N",
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,
    str: _copy_text,
    int: int.__str__,
    Decimal: Decimal.__str__,
}


def _copy_field(value: Any) -> str:
    format_value = _COPY_FORMATS.get(type(value))
    return format_value(value) if format_value is not None else _copy_value(value)


def _merge_sql(kind: Kind) -> str:
    """One statement: upsert the staged batch, and put the touched days in the outbox.

    A key already in the outbox is updated to itself rather than left alone (DO
    NOTHING), because the update locks it until this transaction commits: a fold
    (FOR UPDATE SKIP LOCKED) then leaves it for a later fold instead of folding it
    without this uncommitted batch and deleting it, which would leave the day wrong
    with nothing pending. Keys are written in one order, so two ingestions that
    share keys wait for each other rather than deadlock."""
    columns = ", ".join(kind.columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in kind.columns if c != "external_id")
    changed = ", ".join(f"t.{c}" for c in kind.columns if c != "external_id")
    incoming = ", ".join(f"EXCLUDED.{c}" for c in kind.columns if c != "external_id")
    day_columns = ("partner_id", "external_id", *kind.day_columns)
    returned = ", ".join(day_columns)
    old_days = " UNION ".join(
        f"SELECT partner_id, ({c} AT TIME ZONE %(tz)s)::date FROM old "
        f"WHERE {c} IS NOT NULL AND external_id IN (SELECT external_id FROM up)"
        for c in kind.day_columns
    )
    new_days = " UNION ".join(
        f"SELECT partner_id, ({c} AT TIME ZONE %(tz)s)::date FROM up WHERE {c} IS NOT NULL"
        for c in kind.day_columns
    )
    return f"""
        WITH src AS (
            SELECT DISTINCT ON (external_id) {columns} FROM ingest_stage
            ORDER BY external_id, position DESC
        ), old AS (
            -- One probe of the external_id index per staged row: as a plain join, a
            -- table without fresh statistics can get a hash join that reads it all.
            SELECT {", ".join(f"t.{c}" for c in day_columns)}
            FROM src CROSS JOIN LATERAL (
                SELECT * FROM {kind.table} o WHERE o.external_id = src.external_id LIMIT 1
            ) t
        ), up AS (
            INSERT INTO {kind.table} AS t ({columns}, ingested_at, updated_at)
            SELECT {columns}, now(), now() FROM src
            ON CONFLICT (external_id) DO UPDATE SET {updates}, updated_at = now()
            WHERE ({changed}) IS DISTINCT FROM ({incoming})
            RETURNING (xmax = 0) AS inserted, {returned}
        ), dirty AS (
            INSERT INTO reporting_pendingrollup AS p (partner_id, day, created_at)
            SELECT partner_id, day, now()
            FROM ({new_days} UNION {old_days}) AS days (partner_id, day)
            ORDER BY partner_id, day
            ON CONFLICT (partner_id, day) DO UPDATE SET created_at = p.created_at
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               (SELECT count(*) FROM src)
        FROM up
    """


def _stage(kind: Kind, rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        columns = ", ".join(f"{c} {_COLUMN_TYPES[c]}" for c in kind.columns)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS ingest_stage_{kind.name} "
            f"(position integer, {columns}) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE ingest_stage_{kind.name}")
        buffer = io.StringIO(
            "".join(
                [
                    f"{position}\t" + "\t".join(map(_copy_field, row)) + "\n"
                    for position, row in enumerate(rows)
                ]
            )
        )
        cursor.copy_expert(
            f"COPY ingest_stage_{kind.name} (position, {', '.join(kind.columns)}) FROM STDIN",
            buffer,
        )


def _merge(kind: Kind, rows: list[tuple[Any, ...]], tz: str) -> tuple[int, int, int]:
    """Stage and merge one batch; returns (created, updated, distinct rows)."""
    _stage(kind, rows)
    sql = _merge_sql(kind).replace("ingest_stage", f"ingest_stage_{kind.name}")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tz": tz})
        created, updated, distinct = cursor.fetchone()
    return created, updated, distinct


def _batches(
    rows: Iterable[Mapping[str, Any]], size: int
) -> Iterator[list[tuple[int, Mapping[str, Any]]]]:
    numbered = enumerate(rows)
    while batch := list(islice(numbered, size)):
        yield batch


def ingest(
    *,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    atomic: bool = False,
    batch_size: int | None = None,
) -> IngestResult:
    """Validate and store `rows` of `kind` (orders, calls, contacts, inventory)."""
    spec = KINDS[kind]
    batch_size = batch_size or BATCH_SIZE
    tz = current_time_zone()
    lookups = Lookups(ZoneInfo(tz))
    result = IngestResult()
    accepted = 0

    def run_batches() -> None:
        nonlocal accepted
        for batch in _batches(_reading(rows), batch_size):
            result.received += len(batch)
            lookups.prefetch(batch)
            valid: list[tuple[Any, ...]] = []
            for index, raw in batch:
                if not isinstance(raw, Mapping):
                    result.add_error(index, {"non_field_errors": ["Each row must be an object."]})
                    continue
                try:
                    valid.append(spec.parse(raw, lookups))
                except RowError as error:
                    result.add_error(index, error.errors)
            if atomic and result.error_count:
                continue  # nothing will be kept; just finish validating
            if valid:
                with transaction.atomic():
                    created, updated, distinct = _merge(spec, valid, tz)
                result.created += created
                result.updated += updated
                accepted += distinct
                transaction.on_commit(schedule_fold)

    try:
        if atomic:
            try:
                with transaction.atomic():
                    run_batches()
                    if result.error_count:
                        raise _Rollback
            except (_Rollback, RowsUnreadable) as error:
                result.created = result.updated = 0
                accepted = 0
                if isinstance(error, RowsUnreadable):
                    raise
        else:
            run_batches()
    except RowsUnreadable as error:
        result.unchanged = max(0, accepted - result.created - result.updated)
        error.result = result
        raise
    result.unchanged = max(0, accepted - result.created - result.updated)
    return result


class _Rollback(Exception):
    pass


def schedule_fold() -> None:
    from .tasks import schedule_fold as queue  # tasks import this module

    queue()
