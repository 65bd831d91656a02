"""CSV downloads of the reporting pages, streamed row by row (the csv module writes
each row to a buffer that is emptied as the response goes out). A cell a spreadsheet
would run as a formula gets a leading quote."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_tenants.utils import tenant_context

from prm.spreadsheets import spreadsheet_cell
from prm.tenancy.db import tenant_connection

from .kinds import KINDS

UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def safe_filename(
    request: HttpRequest, table: str, period: Any = None, *, days: str | None = None
) -> str:
    """`<tenant>-<table>-<from>_<to>.csv` (the tenant's days of `period`, or "all";
    `days` names them instead, e.g. "from-2026-01-01" for a range left open)."""
    tenant = getattr(getattr(request, "tenant", None), "slug", "prm")
    if days is None:
        days = f"{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}" if period else "all"
    # Only characters that need no quoting in a header (a ref given in the query
    # string could hold anything).
    return UNSAFE_IN_FILENAME.sub("", f"{tenant}-{table}-{days}") + ".csv"


def invalid_form_answer(form: forms.Form, what: str) -> HttpResponse:
    """A download's 400 in plain text: what is wrong with which field."""
    problems = "; ".join(
        f"{field}: {' '.join(str(error) for error in errors)}"
        for field, errors in form.errors.items()
    )
    return HttpResponse(f"{what}: {problems}", status=400, content_type="text/plain")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    # The body is read after the view has returned, when the connection may have
    # moved to another schema: the rows are read in this tenant's, explicitly.
    tenant = tenant_connection().tenant

    def lines() -> Iterator[str]:
        with tenant_context(tenant):
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow([spreadsheet_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def activity_csv(*, kind: str, rows: Any, filename: str) -> StreamingHttpResponse:
    """`rows` (a queryset of `kind`, already scoped to what the caller may see) as CSV."""
    spec = KINDS[kind]
    columns = spec.export_columns
    rows = rows.select_related("partner", *(["product"] if spec.has_product else []))

    def values(row: Any) -> list[Any]:
        out = []
        for column in columns:
            if column == "partner":
                out.append(row.partner.ref)
            elif column == "product":
                out.append(row.product.sku if row.product_id else "")
            else:
                out.append(getattr(row, column))
        return out

    return csv_response(
        filename=filename,
        header=columns,
        rows=(values(row) for row in rows.iterator(chunk_size=2000)),
    )
