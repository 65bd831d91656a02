"""Reads of import jobs and of their error rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from django.db.models import QuerySet

from partners.models import ImportJob, ImportJobChange

from .rows import ROW_ERROR


def import_job_list() -> QuerySet[ImportJob]:
    """Import jobs, newest first, without their files."""
    return ImportJob.objects.select_related("created_by").defer("content", "sheet", "preview")


def import_job_change_list(*, job: ImportJob, rows: int) -> list[ImportJobChange]:
    """The first `rows` partners the job changes (would change, while checked), in
    file order, each with its fields' old and new values."""
    return list(ImportJobChange.objects.filter(job_id=job.pk)[:rows])


def import_job_get(*, public_id: Any) -> ImportJob:
    """One job by its public id, without its file; ImportJob.DoesNotExist otherwise.
    Its errors (ImportJobError rows) are read when used: not on every poll of a
    running job."""
    return (
        ImportJob.objects.select_related("created_by")
        .defer("content", "sheet")
        .get(public_id=public_id)
    )


class ErrorLine(NamedTuple):
    row: int  # as a spreadsheet numbers it (the header is row 1)
    ref: str
    field: str  # "" for an error of the row as a whole
    message: str


def import_job_error_lines(*, job: ImportJob, rows: int | None = None) -> Iterator[ErrorLine]:
    """The job's errors one message a line, in file order: of every row with errors,
    or of the first `rows` of them."""
    entries = job.error_rows.values_list("row", "ref", "errors")
    if rows is not None:
        entries = entries[:rows]
    for row, ref, errors in entries.iterator(chunk_size=2000):
        for field_name, messages in errors.items():
            for message in messages:
                yield ErrorLine(row, ref, "" if field_name == ROW_ERROR else field_name, message)
