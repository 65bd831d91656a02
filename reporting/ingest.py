"""Ingestion of activity rows: validate, upsert by external_id, mark rollups pending.

Hand-written rather than a DRF serializer per row, because the contract asks for
bulk speed (see bench/ingest.py): rows are checked in Python with batched reference
lookups (reporting.rows), copied into a temporary table with COPY, and merged by one
SQL statement per batch that (a) inserts or updates by external_id, skipping rows that did not
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
from decimal import Decimal
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from prm.tenancy.db import current_time_zone

from .kinds import KINDS, Kind
from .rows import Lookups, RowError
from .tasks import schedule_fold

BATCH_SIZE = 5000


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
