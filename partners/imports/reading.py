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

MAX_FILE_BYTES = 20 * 1024 * 1024
# Bounds checked while a file is read, so that a small file cannot cost minutes and
# gigabytes (a 410 KB workbook can hold 100,000 rows; its XML unpacks to far more).
MAX_ROWS = 50_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 10_000
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
PREVIEW_ROWS = 10

# The API's field names (DESIGN.md), in the order of the template (partners.fields).
COLUMN_HELP: dict[str, str] = {field.name: field.help for field in FIELDS}
COLUMNS = tuple(COLUMN_HELP)
REQUIRED_COLUMNS = tuple(field.name for field in FIELDS if field.required)
LIST_COLUMNS = frozenset(field.name for field in FIELDS if field.listed)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message tells the person why."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    # Values found right of the last named column.
    stray_values: bool = False

    @property
    def ref(self) -> str:
        return self.values.get("ref", "")


@dataclass(frozen=True)
class Sheet:
    columns: list[str]
    rows: list[SheetRow]

    def dump(self) -> bytes:
        return json.dumps(
            {
                "columns": self.columns,
                "rows": [
                    [row.number, row.stray_values, [row.values[name] for name in self.columns]]
                    for row in self.rows
                ],
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def load(cls, data: bytes) -> Sheet:
        stored = json.loads(data)
        columns = stored["columns"]
        return cls(
            columns=columns,
            rows=[
                SheetRow(
                    number=number,
                    values=dict(zip(columns, values, strict=True)),
                    stray_values=stray,
                )
                for number, stray, values in stored["rows"]
            ],
        )

    def preview(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": [
                {"row": row.number, "values": [row.values[column] for column in self.columns]}
                for row in self.rows[:PREVIEW_ROWS]
            ],
        }


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
    return str(value).strip()


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


def _column_name(value: str) -> str:
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def _columns(header: Sequence[str]) -> list[str]:
    names = [_column_name(value) for value in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ImportFileError(
            "The first row is empty; it must name the columns (ref, name, ...). "
            "Download the template to start from."
        )
    problems = []
    unnamed = [str(index) for index, name in enumerate(names, start=1) if not name]
    if unnamed:
        problems.append(f"column {', '.join(unnamed)} of the first row has no name")
    unknown = [name for name in names if name and name not in COLUMN_HELP]
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(f'“{name}”' for name in unknown)}"
        )
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    if doubled:
        problems.append(f"{', '.join(f'“{name}”' for name in doubled)} appear more than once")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(
            f"the required column{'s' if len(missing) > 1 else ''} "
            f"{' and '.join(f'“{name}”' for name in missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing"
        )
    if problems:
        message = "; ".join(problems)
        raise ImportFileError(
            f"{message[0].upper()}{message[1:]}. The first row must name the columns with "
            f"these names: {', '.join(COLUMNS)} (ref and name are required; download the "
            "template to start from)."
        )
    return names


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
    """The columns and the non-empty rows of a file; ImportFileError if it cannot be
    imported as a whole (unreadable, unknown or missing columns)."""
    records: Iterator[tuple[int, Sequence[Any]]] = (
        _xlsx_records(content) if file_format == ImportFormat.XLSX else _csv_records(content)
    )
    first = next(records, None)
    if first is None:
        raise ImportFileError("The file is empty; the first row must name the columns.")
    columns = _columns([_text(value) for value in first[1][: MAX_COLUMNS + 1]])
    width = len(columns)
    rows: list[SheetRow] = []
    for number, cells in records:
        texts = [_text(value) for value in cells]
        if not any(texts):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS} partners; at most {MAX_ROWS} rows can be "
                "imported at once. Split the file into smaller files and import them one "
                "by one."
            )
        _check_cells(number, texts)
        texts += [""] * (width - len(texts))
        rows.append(
            SheetRow(
                number=number,
                values=dict(zip(columns, texts[:width], strict=True)),
                stray_values=any(texts[width:]),
            )
        )
    return Sheet(columns=columns, rows=rows)


def import_template_csv() -> str:
    """The header row of an import file, for people to fill in."""
    output = io.StringIO()
    csv.writer(output).writerow(COLUMNS)
    return output.getvalue()
