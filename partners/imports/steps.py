"""The two steps a worker runs on a job: the check (dry run) and the import, in
chunks, each resumable where the last delivery stopped.

Restart safety (the worker may die mid-run; acks_late redelivers the task): the
rows are checked and applied in chunks, and each chunk commits, in one transaction,
the job's position (`processed_rows`), its counts and the chunk's error rows
(ImportJobError, appended: no chunk rewrites the errors before it, so checking costs
the same per row however long the file). Partners and the progress that accounts
for them are committed together or not at all, so a redelivered task resumes at
`processed_rows` and each row is applied exactly once: a chunk cut short by a dying
worker is rolled back whole and redone, and a finished or failed job is left alone.
Each run that begins counts in `attempts` (committed first); the run after
MAX_ATTEMPTS fails the job and says so, so a file that kills its worker every time
stops instead of coming back forever. The lock also serialises two deliveries running at the
same time (one would only continue where the other stopped).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from partners.models import ImportJob, ImportJobChange, ImportJobError, ImportState

from .reading import ImportFileError, Sheet, SheetRow, read_sheet
from .rows import Lookups, RowPass, in_file_duplicates

# Runs of a step (check or import) that may begin; a worker that dies mid-run leaves
# its run counted, so a file that kills its worker every time fails at the next one.
MAX_ATTEMPTS = 3
# Rows per transaction: progress moves (and a dead worker's work is redone) by this much.
CHUNK_ROWS = 100


def _begin_attempt(job_id: int, state: str) -> bool:
    """Count a run of the job's current step, committed at once (a worker killed
    later leaves it counted); False, with the job failed, past MAX_ATTEMPTS."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .only("state", "attempts", "processed_rows", "total_rows")
            .filter(pk=job_id, state=state)
            .first()
        )
        if job is None:
            return False
        job.attempts += 1
        ImportJob.objects.filter(pk=job_id).update(attempts=job.attempts, updated_at=timezone.now())
    if job.attempts <= MAX_ATTEMPTS:
        return True
    fail_job(job_id, gave_up_message(job, runs=job.attempts - 1))
    return False


def gave_up_message(job: ImportJob, *, runs: int) -> str:
    where = f"after row {job.processed_rows} of {job.total_rows}" if job.total_rows else ""
    if job.state == ImportState.IMPORTING:
        done = (
            f"the first {job.processed_rows} rows were imported; import the rest in a new file"
            if job.processed_rows
            else "nothing was imported"
        )
        step = "import"
    else:
        done, step = "nothing was imported", "check"
    return (
        f"The {step} was started {runs} times and stopped each time before it finished"
        f"{' (' + where + ')' if where else ''}: the worker running it died, most likely "
        f"because the file is too large for it. {done[0].upper()}{done[1:]}. Split the "
        "file into smaller files and upload them one by one."
    )


# A job's counters as a step (the check, the import) starts them afresh.
FRESH_COUNTS = {
    "processed_rows": 0,
    "created_count": 0,
    "updated_count": 0,
    "unchanged_count": 0,
    "error_count": 0,
    "attempts": 0,
}


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """The dry run: check every row, write no partner, record what the import would do.

    A redelivered dry run resumes after the last chunk it committed; a job whose
    check has begun MAX_ATTEMPTS times fails instead of running again.
    """
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id, state=ImportState.UPLOADED).update(
        state=ImportState.VALIDATING, total_rows=0, message="", updated_at=now, **FRESH_COUNTS
    )
    if not _begin_attempt(job_id, ImportState.VALIDATING):
        return ImportJob.objects.filter(pk=job_id).defer("content", "sheet").first()
    try:
        _check_rows(job_id)
    except Exception as error:
        fail_job(
            job_id,
            f"The check stopped unexpectedly ({error.__class__.__name__}); nothing was "
            "imported. Upload the file again, or ask an administrator to look at the "
            "worker's log.",
        )
        raise
    return ImportJob.objects.defer("content", "sheet").get(pk=job_id)


def _sheet_of(job: ImportJob) -> Sheet:
    """The job's rows: as the check stored them, or read from the file (once) and
    stored. ImportFileError if the file cannot be imported."""
    if job.sheet is not None:
        return Sheet.load(bytes(job.sheet))
    sheet = read_sheet(content=bytes(job.content), file_format=job.format)
    ImportJob.objects.filter(pk=job.pk).update(sheet=sheet.dump(), updated_at=timezone.now())
    return sheet


def _error_rows(job_id: int, errors: list[dict[str, Any]]) -> list[ImportJobError]:
    return [
        ImportJobError(job_id=job_id, row=entry["row"], ref=entry["ref"], errors=entry["errors"])
        for entry in errors
    ]


def _change_rows(job_id: int, changes: list[dict[str, Any]]) -> list[ImportJobChange]:
    return [
        ImportJobChange(job_id=job_id, row=entry["row"], ref=entry["ref"], changes=entry["changes"])
        for entry in changes
    ]


def _mapping_of(job: ImportJob, sheet: Sheet) -> list[str] | None:
    """The columns' fields: as confirmed, or the file's own when its headers are the
    import's names; None while a person has to map them."""
    return list(job.mapping) if job.mapping else sheet.exact_mapping


def _check_rows(job_id: int) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        sheet = _sheet_of(job)
    except ImportFileError as error:
        fail_job(job_id, str(error))
        return
    if not sheet.cells:
        fail_job(job_id, "The file has a header row but no partners below it.")
        return
    mapping = _mapping_of(job, sheet)
    if mapping is None:
        # A person maps the columns (partners.imports.services.import_job_map); the
        # check runs again from the start once they have.
        ImportJob.objects.filter(pk=job_id, state=ImportState.VALIDATING).update(
            state=ImportState.MAPPING,
            total_rows=len(sheet.cells),
            attempts=0,
            preview=sheet.preview(),
            updated_at=timezone.now(),
        )
        return
    rows = sheet.mapped(mapping)
    ImportJob.objects.filter(pk=job_id).update(
        total_rows=len(rows),
        preview=sheet.preview(mapping),
        mapping=mapping,
        updated_at=timezone.now(),
    )
    lookups = Lookups.for_rows(rows, actor=job.created_by)
    duplicates = in_file_duplicates(rows)
    done = job.processed_rows
    for chunk in _chunks(rows, start=done):
        check = RowPass(job=job, lookups=lookups, duplicates=duplicates, dry_run=True)
        with transaction.atomic():
            check.run(chunk)
            # Nothing should have been written; should a service ever write before
            # saving the partner, it is undone here.
            transaction.set_rollback(True)
        last = done + len(chunk) == len(rows)
        with transaction.atomic():
            # Only from where this run found the job: a second delivery running at the
            # same time cannot count a chunk twice.
            still_checking = ImportJob.objects.filter(
                pk=job_id, state=ImportState.VALIDATING, processed_rows=done
            ).update(
                processed_rows=done + len(chunk),
                created_count=F("created_count") + check.created,
                updated_count=F("updated_count") + check.updated,
                unchanged_count=F("unchanged_count") + check.unchanged,
                error_count=F("error_count") + len(check.errors),
                updated_at=timezone.now(),
                **({"state": ImportState.VALIDATED, "attempts": 0} if last else {}),
            )
            if not still_checking:
                return  # the job was stopped meanwhile, or another delivery went on
            ImportJobError.objects.bulk_create(_error_rows(job_id, check.errors))
            ImportJobChange.objects.bulk_create(_change_rows(job_id, check.changes))
        done += len(chunk)


def import_job_apply(*, job_id: int) -> ImportJob | None:
    """The import: write every valid row through partner_create / partner_update.

    Resumes where a previous delivery stopped (see the module docstring); does
    nothing to a job that is not importing, and fails a job whose import has begun
    MAX_ATTEMPTS times already.
    """
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != ImportState.IMPORTING:
        return job
    if not _begin_attempt(job_id, ImportState.IMPORTING):
        return ImportJob.objects.defer("content", "sheet").get(pk=job_id)
    try:
        sheet = _sheet_of(job)
    except ImportFileError as error:
        fail_job(job_id, str(error))
        return ImportJob.objects.defer("content", "sheet").get(pk=job_id)
    mapping = _mapping_of(job, sheet)
    if mapping is None:  # never checked with a mapping: nothing to apply
        fail_job(job_id, "The file's columns were never mapped; upload it again.")
        return ImportJob.objects.defer("content", "sheet").get(pk=job_id)
    rows = sheet.mapped(mapping)
    lookups = Lookups.for_rows(rows, actor=job.created_by)
    duplicates = in_file_duplicates(rows)
    done = 0
    try:
        while True:
            with transaction.atomic():
                locked = (
                    ImportJob.objects.select_for_update(of=("self",))
                    .select_related("created_by")
                    .defer("content", "sheet")
                    .get(pk=job_id)
                )
                if locked.state != ImportState.IMPORTING:
                    return locked
                done = locked.processed_rows
                chunk = rows[done : done + CHUNK_ROWS]
                write = RowPass(job=locked, lookups=lookups, duplicates=duplicates, dry_run=False)
                write.run(chunk)
                locked.processed_rows = done + len(chunk)
                locked.total_rows = len(rows)
                locked.created_count += write.created
                locked.updated_count += write.updated
                locked.unchanged_count += write.unchanged
                locked.error_count += len(write.errors)
                ImportJobError.objects.bulk_create(_error_rows(job_id, write.errors))
                ImportJobChange.objects.bulk_create(_change_rows(job_id, write.changes))
                if locked.processed_rows >= len(rows):
                    locked.state = ImportState.DONE
                    locked.finished_at = timezone.now()
                locked.save(
                    update_fields=[
                        "processed_rows",
                        "total_rows",
                        "created_count",
                        "updated_count",
                        "unchanged_count",
                        "error_count",
                        "state",
                        "finished_at",
                        "updated_at",
                    ]
                )
            if locked.state == ImportState.DONE:
                return locked
    except Exception as error:
        fail_job(
            job_id,
            f"The import stopped unexpectedly after {done} of {len(rows)} rows "
            f"({error.__class__.__name__}); the rows before were imported. Upload the rest "
            "of the file again, or ask an administrator to look at the worker's log.",
        )
        raise


def fail_job(job_id: int, message: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportState.FAILED, message=message, finished_at=now, updated_at=now
    )


def _chunks(rows: Sequence[SheetRow], start: int = 0) -> Iterator[Sequence[SheetRow]]:
    for offset in range(start, len(rows), CHUNK_ROWS):
        yield rows[offset : offset + CHUNK_ROWS]
