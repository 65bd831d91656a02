"""The downloadable report of an import's errors: CSV, one line per message."""

from __future__ import annotations

import csv
import io

from partners.models import ImportJob

from .selectors import import_job_error_lines


def _spreadsheet_safe(value: str) -> str:
    # A cell starting with one of these is a formula to Excel (CSV injection).
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def import_job_error_report(*, job: ImportJob) -> str:
    """The job's errors as CSV: one line per message, with the row number people see."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["row", "ref", "field", "message"])
    for line in import_job_error_lines(job=job):
        writer.writerow(
            [line.row, _spreadsheet_safe(line.ref), line.field, _spreadsheet_safe(line.message)]
        )
    return output.getvalue()
