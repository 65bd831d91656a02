"""The downloadable report of an import's errors: CSV, one line per message."""

from __future__ import annotations

import csv
import io

from partners.models import ImportJob
from prm.spreadsheets import spreadsheet_cell

from .selectors import import_job_error_lines


def import_job_error_report(*, job: ImportJob) -> str:
    """The job's errors as CSV: one line per message, with the row number people see."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["row", "ref", "field", "message"])
    for line in import_job_error_lines(job=job):
        writer.writerow(
            [line.row, spreadsheet_cell(line.ref), line.field, spreadsheet_cell(line.message)]
        )
    return output.getvalue()
