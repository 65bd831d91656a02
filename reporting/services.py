"""reporting's writes. Activity reaches the rollups one way: reporting.ingest's
ingest() validates rows, upserts them by external_id and puts the days they touch in
the outbox, in one transaction per batch. activity_ingest is that write for callers
with rows (the API); manual_entry_record stores one row typed into a form (the staff
activity pages and the partner portal), so that a row from a form is validated,
stored and counted in the rollups exactly like a row sent to the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .ingest import IngestResult, ingest
from .kinds import CALLS, CONTACTS


def activity_ingest(
    *, kind: str, rows: Iterable[Mapping[str, Any]], atomic: bool = False
) -> IngestResult:
    """Validate and store `rows` of `kind` (orders, calls, contacts, inventory); with
    `atomic`, all of them or none. Raises reporting.ingest.RowsUnreadable when reading
    the rows fails part-way (its `result` says what was stored before)."""
    return ingest(kind=kind, rows=rows, atomic=atomic)


def manual_entry_record(
    *, kind: str, partner_ref: str, row: dict[str, Any]
) -> dict[str, list[str]]:
    """Store one row typed in a form for the partner `partner_ref`; returns the field
    errors (empty when it is stored). A new external_id each time: a form entry is a
    new event, never an update of an integrator's row."""
    if kind not in (CALLS, CONTACTS):
        raise ValueError(f"manual entry is for calls and contacts, not {kind}")
    result = activity_ingest(
        kind=kind,
        rows=[{"external_id": f"manual-{uuid.uuid4()}", **row, "partner": partner_ref}],
        atomic=True,
    )
    if result.errors:
        return dict(result.errors[0]["errors"])
    return {}
