"""Pages of the partner import (staff only): upload, the job with its live progress,
dry-run preview and report, the confirmation, and the CSV downloads. The work is in
partners.imports."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from prm.web.access import staff_required
from prm.web.body_limits import body_limit
from prm.web.forms import form_errors_from

from ..fields import BY_NAME
from ..forms_import import ImportMappingForm, ImportUploadForm
from ..imports.errors import import_job_error_report
from ..imports.mapping import IGNORED, ref_from_name
from ..imports.reading import COLUMN_HELP, MAX_FILE_BYTES, REQUIRED_COLUMNS, import_template_csv
from ..imports.selectors import (
    import_job_change_list,
    import_job_error_lines,
    import_job_get,
    import_job_list,
)
from ..imports.services import (
    import_job_check_mappable,
    import_job_create,
    import_job_map,
    import_job_start,
)
from ..models import ImportJob, ImportState

RECENT_JOBS = 20
# Room around the file in an upload: the form's other fields and the multipart framing.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
# The page lists this many errors; the downloadable report has them all.
ERRORS_SHOWN = 200
# The page lists this many of the partners an import changes.
CHANGES_SHOWN = 200


def _job(job_id: UUID) -> ImportJob:
    try:
        return import_job_get(public_id=job_id)
    except ImportJob.DoesNotExist as error:
        raise Http404("There is no such import.") from error


def _csv_download(content: str, filename: str) -> HttpResponse:
    # The byte-order mark tells Excel the file is UTF-8 (messages quote with “ ”).
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _mapping_form(job: ImportJob, data: Any = None) -> ImportMappingForm:
    headers = list((job.preview or {}).get("headers", []))
    return ImportMappingForm(data, headers=headers, confirmed=list(job.mapping))


def _mapping_rows(job: ImportJob, form: ImportMappingForm) -> list[dict[str, Any]]:
    """Per column of the file: its choice, its first values and what was suggested."""
    preview = job.preview or {}
    samples = preview.get("samples", [])
    return [
        {
            "field": form[f"column_{index}"],
            "samples": samples[index] if index < len(samples) else [],
            "suggestion": suggestion,
            "suggested_label": BY_NAME[suggestion.field].label if suggestion.field else "",
        }
        for index, suggestion in enumerate(form.suggestions)
    ]


def _changes(job: ImportJob) -> list[dict[str, Any]]:
    return [
        {
            "row": change.row,
            "ref": change.ref,
            "fields": [
                {"name": name, "label": BY_NAME[name].label, "old": old, "new": new}
                for name, (old, new) in change.changes.items()
            ],
        }
        for change in import_job_change_list(job=job, rows=CHANGES_SHOWN)
    ]


def _job_context(job: ImportJob, mapping_form: ImportMappingForm | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job}
    if mapping_form is None and job.state == ImportState.MAPPING:
        mapping_form = _mapping_form(job)
    if mapping_form is not None:
        context["mapping_form"] = mapping_form
        context["mapping_rows"] = _mapping_rows(job, mapping_form)
        context["ref_example"] = ("Acme Networks Ltd", ref_from_name("Acme Networks Ltd"))
        return context
    if not job.is_running:
        preview = job.preview or {}
        headers = preview.get("headers", [])
        # The file's own name of each field's column, where it differs from the field's.
        named = {
            field: header
            for header, field in zip(headers, job.mapping, strict=False)
            if field and header.strip().lower() != field
        }
        # Errors are read only once the job stands still, not on every poll.
        context["error_lines"] = [
            {
                "row": line.row,
                "ref": line.ref,
                "field": line.field,
                "column": named.get(line.field, ""),
                "label": BY_NAME[line.field].label if line.field in BY_NAME else line.field,
                "message": line.message,
            }
            for line in import_job_error_lines(job=job, rows=ERRORS_SHOWN)
        ]
        context["errors_cut"] = job.error_count > ERRORS_SHOWN
        context["errors_shown"] = ERRORS_SHOWN
        if job.updated_count:
            context["changes"] = _changes(job)
            context["changes_cut"] = job.updated_count > CHANGES_SHOWN
            context["changes_shown"] = CHANGES_SHOWN
        context["preview_labels"] = [
            BY_NAME[name].label if name in BY_NAME else name for name in preview.get("columns", [])
        ]
        context["mapped_columns"] = [
            {"header": header or f"Column {index + 1}", "field": BY_NAME[field].label}
            for index, (header, field) in enumerate(zip(headers, job.mapping, strict=False))
            if field != IGNORED
        ]
        context["own_names"] = bool(job.mapping) and not named and IGNORED not in job.mapping
        context["left_out"] = [
            header or f"Column {index + 1}"
            for index, (header, field) in enumerate(zip(headers, job.mapping, strict=False))
            if field == IGNORED
        ]
        context["can_remap"] = job.state == ImportState.VALIDATED
    return context


@body_limit(
    MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES,
    accepted=f"files of at most {MAX_FILE_BYTES // 1024 // 1024} MB can be imported",
)
@staff_required
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                actor=request.user,  # type: ignore[arg-type]
                filename=upload.name or "",
                content=upload.read(),
                mode=form.cleaned_data["mode"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return redirect("partner_import:job", job_id=job.public_id)
    return render(
        request,
        "partners/import_start.html",
        {
            "form": form,
            "columns": [
                {"name": name, "help": help_text, "required": name in REQUIRED_COLUMNS}
                for name, help_text in COLUMN_HELP.items()
            ],
            "jobs": import_job_list()[:RECENT_JOBS],
        },
    )


@staff_required
def import_template(request: HttpRequest) -> HttpResponse:
    return _csv_download(import_template_csv(), "partners-import-template.csv")


@staff_required
def import_job_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    return render(request, "partners/import_job.html", _job_context(_job(job_id)))


@staff_required
def import_job_status(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The part of the job page that htmx polls while the job runs."""
    return render(request, "partners/import_job_status.html", _job_context(_job(job_id)))


@staff_required
@require_POST
def import_job_run(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(job_id)
    # The check's count: starting makes way for the import's own counts.
    rows = job.valid_rows
    try:
        import_job_start(job=job)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"Importing {rows} row{'' if rows == 1 else 's'} of {job.filename}."
        )
    return redirect("partner_import:job", job_id=job.public_id)


@staff_required
def import_job_mapping(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Which field each column of the file goes to: the suggestion to confirm or
    change (a job waiting for it), or the mapping of a checked job to change."""
    job = _job(job_id)
    try:
        import_job_check_mappable(job=job)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("partner_import:job", job_id=job.public_id)
    form = _mapping_form(job, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            import_job_map(job=job, mapping=form.mapping())
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return redirect("partner_import:job", job_id=job.public_id)
    return render(request, "partners/import_job.html", _job_context(job, mapping_form=form))


@staff_required
def import_job_errors(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(job_id)
    stem = job.filename.rsplit(".", 1)[0] or "import"
    return _csv_download(import_job_error_report(job=job), f"{stem}-errors.csv")
