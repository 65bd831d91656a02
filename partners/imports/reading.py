"""Reading an import file: its columns and non-empty rows, bounded.

Parsing: CSV through the standard library's csv module and XLSX through openpyxl
(read-only; its XML goes through defusedxml, which openpyxl uses when it is
installed, so entity expansion and external entities are refused), not through
tablib: tablib's CSV loader drops empty lines and its XLSX
loader fails on a value right of the last named column, and either would shift or
lose the row numbers people are told about. Row numbers are those a spreadsheet
shows: the header is row 1. A file is parsed once: the check keeps the rows it read
in the job (`sheet`, JSON), and a resumed check and the import read those. Rows,
columns, cell sizes and a workbook's unpacked size are bounded while reading
(MAX_ROWS and the others below), each with an error that says how to split the file.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from partners.fields import FIELDS
from partners.models import ImportFormat
from prm.spreadsheets import FORMULA_START, SIGNED_NUMBER

from .mapping import derived_ref, exact_mapping

MAX_FILE_BYTES = 20 * 1024 * 1024
# Bounds checked while a file is read, so that a small file cannot cost minutes and
# gigabytes (a 410 KB workbook can hold 100,000 rows; its XML unpacks to far more).
MAX_ROWS = 50_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 10_000
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
PREVIEW_ROWS = 10
SAMPLES_PER_COLUMN = 3

# The API's field names (DESIGN.md), in the order of the template (partners.fields).
COLUMN_HELP: dict[str, str] = {field.name: field.help for field in FIELDS} | {
    # A file without refs gets them from the names (partners.imports.mapping).
    "ref": "The partner's stable key: letters, digits, - and _ (e.g. northwind). Without "
    "a ref column, each partner's ref is made from its name.",
}
COLUMNS = tuple(COLUMN_HELP)
REQUIRED_COLUMNS = tuple(field.name for field in FIELDS if field.required)
LIST_COLUMNS = frozenset(field.name for field in FIELDS if field.listed)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message tells the person why."""


@dataclass(frozen=True)
class SheetRow:
    """A row as the partner fields it maps to: field name -> cell text."""

    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    # Values found right of the last named column.
    stray_values: bool = False
    # The ref was made from the name (no column of the file holds refs).
    derived_ref: bool = False

    @property
    def ref(self) -> str:
        return self.values.get("ref", "")


@dataclass(frozen=True)
class Sheet:
    """A file as read: its header cells as written and its non-empty rows' cells,
    one per header (a row's values right of the last header make it `stray`)."""

    headers: list[str]
    cells: list[tuple[int, bool, list[str]]]  # (row number, stray, cells)

    @property
    def exact_mapping(self) -> list[str] | None:
        """The mapping when the headers are the import's own names (the template's,
        the export's), else None: then a person maps the columns."""
        return exact_mapping(self.headers)

    @property
    def columns(self) -> list[str]:
        """The fields of a file that maps itself (see exact_mapping)."""
        mapping = self.exact_mapping
        if mapping is None:
            raise ValueError("the columns of this file must be mapped by a person")
        return mapping

    @property
    def rows(self) -> list[SheetRow]:
        return self.mapped(self.columns)

    def mapped(self, mapping: Sequence[str]) -> list[SheetRow]:
        """The rows as partner fields, with `mapping` naming each column's field
        ("" for a column left out); refs made from names when no column is the ref."""
        picked = [(index, field) for index, field in enumerate(mapping) if field]
        derive = "ref" not in mapping
        seen: dict[str, int] = {}
        rows = []
        for number, stray, cells in self.cells:
            values = {field: cells[index] for index, field in picked}
            if derive:
                values = {"ref": derived_ref(values.get("name", ""), seen), **values}
            rows.append(
                SheetRow(number=number, values=values, stray_values=stray, derived_ref=derive)
            )
        return rows

    def dump(self) -> bytes:
        return json.dumps(
            {"headers": self.headers, "rows": self.cells}, separators=(",", ":")
        ).encode()

    @classmethod
    def load(cls, data: bytes) -> Sheet:
        stored = json.loads(data)
        # Jobs checked before columns were mapped kept their column names as "columns".
        headers = stored["headers"] if "headers" in stored else stored["columns"]
        return cls(
            headers=headers,
            cells=[(number, stray, cells) for number, stray, cells in stored["rows"]],
        )

    def samples(self, per_column: int = SAMPLES_PER_COLUMN) -> list[list[str]]:
        """The first few non-empty values of each column, for the mapping page."""
        found: list[list[str]] = [[] for _header in self.headers]
        for _number, _stray, cells in self.cells:
            for index, cell in enumerate(cells):
                if cell and len(found[index]) < per_column:
                    found[index].append(cell)
            if all(len(values) >= per_column for values in found):
                break
        return found

    def preview(self, mapping: Sequence[str] | None = None) -> dict[str, Any]:
        """The headers and samples (the mapping page's), and with a mapping the first
        rows as the partner fields they map to (the check's)."""
        preview: dict[str, Any] = {"headers": self.headers, "samples": self.samples()}
        if mapping is not None:
            rows = self.mapped(mapping)[:PREVIEW_ROWS]
            columns = list(rows[0].values) if rows else [field for field in mapping if field]
            preview["columns"] = columns
            preview["derived_refs"] = "ref" not in mapping
            preview["rows"] = [
                {"row": row.number, "values": [row.values[column] for column in columns]}
                for row in rows
            ]
        return preview


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value).strip()
    if text[:1] == "'" and FORMULA_START.match(text[1:]) and not SIGNED_NUMBER.match(text[1:]):
        # The quote the app's own exports put before formula-like text
        # (prm.spreadsheets.spreadsheet_cell), so that an export imports as it was.
        return text[1:]
    return text


def _csv_records(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # What Excel on Windows writes when asked for plain "CSV".
            text = content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                "The file is not text in a known encoding; save it as “CSV UTF-8” and "
                "upload it again."
            ) from error
    if "\x00" in text:
        raise ImportFileError(
            "The file is not a CSV text file (it holds binary data); save it as "
            "“CSV UTF-8” or as an Excel .xlsx workbook and upload it again."
        )
    header_line = text.split("\n", 1)[0]
    # Excel writes ; where the decimal separator is a comma.
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        raise ImportFileError(
            f"Row {number + 1} cannot be read as CSV ({error}); check its quotes."
        ) from error


_UNREADABLE_XLSX = (
    "The file is not a readable Excel .xlsx workbook; open it in Excel and save it again "
    "as .xlsx or as “CSV UTF-8”."
)
# What openpyxl and the XML parser under it raise for a broken or hostile workbook
# (defusedxml's refusals are ValueErrors; a broken XML part is a ParseError).
_XLSX_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError)


def _xlsx_records(content: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import DEFUSEDXML, load_workbook

    # Entity expansion and external entities are refused by defusedxml, which openpyxl
    # uses whenever it is installed; never parse a workbook without it.
    assert DEFUSEDXML, "defusedxml must be installed to read workbooks"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # Sizes declared in the archive; zipfile reads no more than these.
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_UNREADABLE_XLSX) from error
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(
            f"The workbook unpacks to {unpacked // 1024 // 1024} MB; at most "
            f"{MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB can be read. Split it into smaller "
            "files, or save it as “CSV UTF-8”."
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _XLSX_ERRORS as error:
        raise ImportFileError(_UNREADABLE_XLSX) from error
    try:
        sheet = workbook.worksheets[0]
        # Some tools write a wrong sheet size; read what is really there.
        sheet.reset_dimensions()
        # Empty rows come as empty tuples, so counting gives the row numbers. One
        # column past the bound is read, to tell that a row goes past it.
        yield from enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1)
    except _XLSX_ERRORS as error:
        raise ImportFileError(_UNREADABLE_XLSX) from error
    finally:
        workbook.close()


def _headers(header: Sequence[str]) -> list[str]:
    headers = list(header)
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(
            "The first row is empty; it must name the columns (ref, name, ...). "
            "Download the template to start from."
        )
    return headers


def _check_cells(number: int, texts: list[str]) -> None:
    if len(texts) > MAX_COLUMNS and any(texts[MAX_COLUMNS:]):
        raise ImportFileError(
            f"Row {number} has values beyond column {MAX_COLUMNS}; an import file has at "
            f"most {MAX_COLUMNS} columns (the template's {len(COLUMNS)} are all it needs). "
            "Remove the columns on the right and upload it again."
        )
    for column, text in enumerate(texts, start=1):
        if len(text) > MAX_CELL_CHARS:
            raise ImportFileError(
                f"Row {number}, column {column} holds {len(text)} characters; a cell may hold "
                f"at most {MAX_CELL_CHARS}. Shorten it and upload the file again."
            )


def read_sheet(*, content: bytes, file_format: str) -> Sheet:
    """The headers and the non-empty rows of a file; ImportFileError if it cannot be
    imported as a whole (unreadable, too large, no header row). Which column is which
    field is the mapping's (partners.imports.mapping), not the reader's."""
    records: Iterator[tuple[int, Sequence[Any]]] = (
        _xlsx_records(content) if file_format == ImportFormat.XLSX else _csv_records(content)
    )
    first = next(records, None)
    if first is None:
        raise ImportFileError("The file is empty; the first row must name the columns.")
    headers = _headers([_text(value) for value in first[1][: MAX_COLUMNS + 1]])
    width = len(headers)
    cells: list[tuple[int, bool, list[str]]] = []
    for number, row in records:
        texts = [_text(value) for value in row]
        if not any(texts):
            continue
        if len(cells) == MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS} partners; at most {MAX_ROWS} rows can be "
                "imported at once. Split the file into smaller files and import them one "
                "by one."
            )
        _check_cells(number, texts)
        texts += [""] * (width - len(texts))
        cells.append((number, any(texts[width:]), texts[:width]))
    return Sheet(headers=headers, cells=cells)


def import_template_csv() -> str:
    """The header row of an import file, for people to fill in."""
    output = io.StringIO()
    csv.writer(output).writerow(COLUMNS)
    return output.getvalue()
