"""What the pages ask of an import: take an upload and queue its check, confirm a
checked job and queue its import; and beat's sweep of steps never queued.

A step is queued when the transaction that asks for it commits, and a broker that is
down then does not fail the upload or the confirmation (prm.celery.queue_on_commit):
the job waits, and beat's partners-import-sweep (`import_job_sweep`) queues the step
of every job that has waited longer than PRM_IMPORT_OVERDUE_SECONDS without it
beginning. Only a step that has not begun (`attempts` 0) is queued again, so the
sweep never counts toward MAX_ATTEMPTS: a step that began is Celery's to redeliver
(acks_late). A job queued twice runs its step once; the second run finds it past
that step (or, with PRM_TENANT_BULK_CONCURRENCY above 1 and both running at once,
counts one more run, and continues where the first is). Refs being unique is
the last line of defence, never the mechanism: a create-only row whose ref exists is
an error, not something silently skipped.
"""

from __future__ import annotations

import datetime
from pathlib import PureWindowsPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from partners.models import (
    ImportFormat,
    ImportJob,
    ImportJobChange,
    ImportJobError,
    ImportMode,
    ImportState,
)
from prm.accounts.models import User
from prm.celery import queue_on_commit

from .mapping import check_mapping
from .reading import MAX_FILE_BYTES
from .steps import FRESH_COUNTS
from .tasks import import_apply, import_validate

# The beat entry (prm/settings/base.py) that queues a step whose message was not.
SWEEP = "partners-import-sweep"


def _file_format(filename: str, content: bytes) -> str:
    suffix = PureWindowsPath(filename).suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    problem = ""
    if suffix == ".xlsx" and not is_zip:
        problem = (
            "The file is named .xlsx but is not an Excel workbook; save it from Excel as "
            ".xlsx or as “CSV UTF-8”."
        )
    elif suffix in (".csv", ".txt") and is_zip:
        problem = (
            "The file is an Excel workbook named .csv; rename it to .xlsx or save it from "
            "Excel as “CSV UTF-8”."
        )
    elif suffix == ".xls":
        problem = "Old Excel files (.xls) cannot be read; save it as .xlsx or as “CSV UTF-8”."
    elif suffix not in (".xlsx", ".csv", ".txt"):
        problem = f"Upload a .csv or .xlsx file (this one is “{suffix or 'without extension'}”)."
    if problem:
        raise ValidationError({"file": [problem]})
    return ImportFormat.XLSX if suffix == ".xlsx" else ImportFormat.CSV


def import_job_create(
    *, actor: User | None, filename: str, content: bytes, mode: str = ImportMode.CREATE
) -> ImportJob:
    """Keep an uploaded file and queue its dry run; ValidationError (by field: file,
    mode) when it cannot be taken, and then nothing is kept."""
    name = PureWindowsPath(filename or "").name.strip()[:255] or "upload"
    problems: dict[str, list[str]] = {}
    if mode not in ImportMode.values:
        problems["mode"] = [f"Choose one of: {', '.join(ImportMode.labels)}."]
    if not content:
        problems["file"] = ["The file is empty."]
    elif len(content) > MAX_FILE_BYTES:
        problems["file"] = [
            f"The file is {len(content) / 1024 / 1024:.1f} MB; files of at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB can be imported. Split it into smaller files."
        ]
    if problems:
        raise ValidationError(problems)
    file_format = _file_format(name, content)
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            filename=name,
            format=file_format,
            content=content,
            size=len(content),
            mode=mode,
        )
        queue_on_commit(import_validate, job.pk, sweep=SWEEP)
    return job


def import_job_start(*, job: ImportJob) -> ImportJob:
    """Queue the import of a checked job; ValidationError if it cannot be run (any
    more). The dry run's counts and errors make way for the import's own."""
    if job.state != ImportState.VALIDATED:
        raise ValidationError(
            f"This import cannot be run now: it is “{job.get_state_display().lower()}”."
        )
    if job.valid_rows == 0 and job.unchanged_count and not job.error_count:
        raise ValidationError(
            "Nothing to import: every partner in the file is already as the file has it."
        )
    if job.valid_rows == 0:
        raise ValidationError(
            "No row of this file can be imported; fix the rows listed and upload it again."
        )
    with transaction.atomic():
        if not _step_again(job, (ImportState.VALIDATED,), state=ImportState.IMPORTING):
            raise ValidationError("This import has already been started.")
        queue_on_commit(import_apply, job.pk, sweep=SWEEP)
    job.refresh_from_db(fields=["state", *FRESH_COUNTS, "updated_at"])
    return job


def _step_again(job: ImportJob, states: tuple[str, ...], **fields: Any) -> bool:
    """Move `job` from one of `states` on with `fields`, its counters, errors and
    changes cleared for the step it is queued for; False if it was in none of them."""
    moved = ImportJob.objects.filter(pk=job.pk, state__in=states).update(
        updated_at=timezone.now(), **FRESH_COUNTS, **fields
    )
    if moved:
        ImportJobError.objects.filter(job_id=job.pk).delete()
        ImportJobChange.objects.filter(job_id=job.pk).delete()
    return bool(moved)


# A job's columns may be mapped while it waits for its mapping, and mapped anew once
# checked (before it is imported).
MAPPABLE = (ImportState.MAPPING, ImportState.VALIDATED)


def import_job_check_mappable(*, job: ImportJob) -> None:
    """ValidationError saying why, unless the job's columns may be mapped now."""
    if job.state not in MAPPABLE:
        raise ValidationError(
            f"The columns of this import cannot be mapped now: it is "
            f"“{job.get_state_display().lower()}”."
        )


def import_job_map(*, job: ImportJob, mapping: list[str]) -> ImportJob:
    """Keep the partner field of each of the file's columns ("" leaves it out) and
    queue the check with it; ValidationError saying what is wrong with the mapping, or
    that the job cannot be mapped now (and then nothing changes)."""
    import_job_check_mappable(job=job)
    headers = list((job.preview or {}).get("headers", []))
    mapping = check_mapping(headers, mapping, updating=job.mode == ImportMode.CREATE_OR_UPDATE)
    with transaction.atomic():
        if not _step_again(job, MAPPABLE, state=ImportState.UPLOADED, mapping=mapping):
            raise ValidationError("This import has moved on meanwhile; reload the page.")
        queue_on_commit(import_validate, job.pk, sweep=SWEEP)
    job.refresh_from_db(fields=["state", "mapping", "processed_rows", "error_count", "updated_at"])
    return job


def import_job_sweep(*, now: datetime.datetime | None = None) -> int:
    """Queue the step of every job that has waited for it longer than
    PRM_IMPORT_OVERDUE_SECONDS and not begun it: uploaded and not yet checked, or
    confirmed and not yet importing (see the module docstring). Returns how many.

    A job queued here counts as just changed (`updated_at`), so that it is queued
    again only if this message is lost too, not on every sweep while it waits behind
    a long import."""
    now = now or timezone.now()
    waited_since = now - datetime.timedelta(seconds=settings.PRM_IMPORT_OVERDUE_SECONDS)
    with transaction.atomic():
        waiting = list(
            ImportJob.objects.filter(updated_at__lt=waited_since)
            .filter(
                Q(state=ImportState.UPLOADED)
                # (between the check's start and its first counted run)
                | Q(state=ImportState.VALIDATING, attempts=0)
                | Q(state=ImportState.IMPORTING, attempts=0)
            )
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", "state")
        )
        ImportJob.objects.filter(pk__in=[pk for pk, _state in waiting]).update(updated_at=now)
        for job_id, state in waiting:
            step = import_apply if state == ImportState.IMPORTING else import_validate
            queue_on_commit(step, job_id, sweep=SWEEP)
    return len(waiting)
