"""Importing partners from a CSV or XLSX file: upload, dry run, apply, report.

The flow (an ImportJob row carries it from the web process to the worker and back):

1. `import_job_create` stores the uploaded file in the job (the web and worker
   containers share no media storage) and queues `partners.import_validate` once the
   upload is committed.
2. The dry run (`import_job_validate`) reads every row and puts it through the very
   door every other write uses: the API's PartnerInputSerializer for types, then
   `partner_create` / `partner_update` themselves, stopped by a pre_save receiver
   (active only inside the dry run) at the moment they save the partner. They save
   first, inside their own atomic block, after every check has passed; so a row
   passes the dry run exactly when it would be written, nothing is written, and the
   cost of the write (audit history, products, status change) is not paid twice.
   Each chunk's transaction is rolled back all the same. What one row of a file
   would do to the next (the same ref or domain twice) cannot be seen without
   writing, so those duplicates are found in the file itself, in both passes.
3. A person reads the counts, the first rows and the per-row errors, and confirms:
   `import_job_start` queues `partners.import_apply`.
4. The import (`import_job_apply`) writes each valid row through the same services.
   Each row is written in its own savepoint, the services' own atomic block: they
   raise before writing anything or write inside it, so a bad row is reported and
   never undoes another.

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

Speed: product SKUs, SLA slugs, tiers and channel managers named in the file are
looked up once per job and handed to the services as objects, and existing partners
once per chunk; the services still check every one of them (a manager who is not
staff is refused) and look up, per row, only what the batch did not find, to word the
error. Rows therefore cost the inserts of a partner and its audit trail, no lookups.

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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PureWindowsPath
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import serializers

from prm.accounts.models import User
from prm.celery import app, queue_on_commit
from slas.models import SlaPolicy

from .api import PartnerInputSerializer, default_channel_manager
from .models import (
    ImportFormat,
    ImportJob,
    ImportJobError,
    ImportMode,
    ImportState,
    Partner,
    PartnerStatus,
    Product,
    Tier,
)
from .services import partner_create, partner_update
from .validators import normalize_domain

MAX_FILE_BYTES = 20 * 1024 * 1024
# Bounds checked while a file is read, so that a small file cannot cost minutes and
# gigabytes (a 410 KB workbook can hold 100,000 rows; its XML unpacks to far more).
MAX_ROWS = 50_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 10_000
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
# Runs of a step (check or import) that may begin; a worker that dies mid-run leaves
# its run counted, so a file that kills its worker every time fails at the next one.
MAX_ATTEMPTS = 3
# Rows per transaction: progress moves (and a dead worker's work is redone) by this much.
CHUNK_ROWS = 100
PREVIEW_ROWS = 10
# The beat entry (prm/settings/base.py) that queues a step whose message was not.
SWEEP = "partners-import-sweep"

# The API's field names (DESIGN.md), in the order of the template.
COLUMN_HELP: dict[str, str] = {
    "ref": "Required. The partner's stable key: letters, digits, - and _ (e.g. northwind).",
    "name": "Required. The business name.",
    "domain": "Website domain, e.g. northwind.example.",
    "phone": "Main telephone, e.g. +44 20 7946 0958 (without +, read in the row's country).",
    "contact_name": "Name of the main contact.",
    "contact_email": "E-mail of the main contact.",
    "contact_phone": "Phone of the main contact.",
    "street": "Street address.",
    "city": "City.",
    "region": "Region, state or county.",
    "postal_code": "Postal code.",
    "country": "ISO 3166-1 alpha-2 code, e.g. GB.",
    "primary_dns": "Primary DNS server: host name or IP address.",
    "secondary_dns": "Secondary DNS server: host name or IP address.",
    "products": "Product SKUs, separated by ; or ,.",
    "sla": "SLA policy slug; empty means the default policy.",
    "channel_manager": "E-mail of a manager or administrator; empty means you.",
    "tier": "Tier slug.",
    "status": f"One of {', '.join(PartnerStatus.values)}; empty means prospect.",
    "tags": "Tags, separated by ; or ,.",
    "notes": "Notes.",
    "roles": "The partner's roles, when they differ from its tier's.",
    "responsibilities": "Its responsibilities, when they differ from its tier's.",
    "benefits": "Its benefits, when they differ from its tier's.",
}
COLUMNS = tuple(COLUMN_HELP)
REQUIRED_COLUMNS = ("ref", "name")
LIST_COLUMNS = frozenset({"products", "tags"})
ROW_ERROR = "__all__"


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message tells the person why."""


# --- reading files ----------------------------------------------------------------------


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


def _spreadsheet_safe(value: str) -> str:
    # A cell starting with one of these is a formula to Excel (CSV injection).
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


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


# --- checking and writing rows ------------------------------------------------------------


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]


def _row_data(values: dict[str, str]) -> dict[str, Any]:
    """The row as the API would receive it. An empty cell is left out: a new partner
    gets the default, an existing one keeps what it has."""
    data: dict[str, Any] = {}
    for column, value in values.items():
        if not value:
            continue
        if column in LIST_COLUMNS:
            data[column] = _split_list(value)
        elif column == "status":
            data[column] = value.lower()
        else:
            data[column] = value
    return data


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [
            message
            for key, inner in errors.items()
            for message in _flatten(inner, f"{prefix}item {int(key) + 1}: ")
        ]
    if isinstance(errors, list):
        return [message for inner in errors for message in _flatten(inner, prefix)]
    return [f"{prefix}{errors}"]


def _serializer_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    return {
        ROW_ERROR if name == "non_field_errors" else name: _flatten(inner)
        for name, inner in errors.items()
    }


def _validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {ROW_ERROR: list(error.messages)}


def _in_file_duplicates(rows: Iterable[SheetRow]) -> dict[int, dict[str, list[str]]]:
    """Rows repeating the ref or the domain of an earlier row: row number -> errors."""
    found: dict[int, dict[str, list[str]]] = {}
    first_by_ref: dict[str, int] = {}
    first_by_domain: dict[str, int] = {}
    for row in rows:
        if row.ref:
            first = first_by_ref.setdefault(row.ref, row.number)
            if first != row.number:
                found.setdefault(row.number, {})["ref"] = [
                    f"Row {first} has the same ref “{row.ref}”; a ref may appear only once "
                    "in a file."
                ]
        try:
            domain = normalize_domain(row.values.get("domain", ""))
        except ValidationError:
            continue  # the row's own check reports it
        if domain:
            first = first_by_domain.setdefault(domain, row.number)
            if first != row.number:
                found.setdefault(row.number, {})["domain"] = [
                    f"Row {first} has the same domain “{domain}”; each partner needs its "
                    "own domain."
                ]
    return found


class _EveryCheckPassed(Exception):
    """Raised in a dry run where partner_create / partner_update is about to write."""


_dry_run: ContextVar[bool] = ContextVar("partner_import_dry_run", default=False)


@receiver(pre_save, sender=Partner, dispatch_uid="partners.imports.stop_before_writing")
def _stop_before_writing(sender: type[Partner], **kwargs: Any) -> None:
    # The services save the partner first, inside their own atomic block, once every
    # check has passed; stopping here leaves nothing written and nothing unchecked.
    if _dry_run.get():
        raise _EveryCheckPassed


@contextmanager
def _stopping_before_the_first_write() -> Iterator[None]:
    token = _dry_run.set(True)
    try:
        yield
    finally:
        _dry_run.reset(token)


@dataclass
class _Lookups:
    """What the rows name (managers, policies, tiers, products), fetched once per job.

    Names not found are handed to the services as they are, so that the services say
    what is wrong with them in their usual words.
    """

    default_manager: User | None
    default_policy: SlaPolicy | None
    managers: dict[str, User]
    policies: dict[str, SlaPolicy]
    tiers: dict[str, Tier]
    products: dict[str, Product]

    @classmethod
    def for_rows(cls, rows: Sequence[SheetRow], *, actor: User | None) -> _Lookups:
        def named(column: str) -> set[str]:
            return {row.values.get(column, "") for row in rows} - {""}

        emails = {email.lower() for email in named("channel_manager")}
        skus = {sku for value in named("products") for sku in _split_list(value)}
        return cls(
            default_manager=default_channel_manager(actor),
            default_policy=SlaPolicy.objects.filter(is_default=True).first(),
            managers={
                user.email.lower(): user
                for user in User.objects.annotate(lower_email=Lower("email")).filter(
                    lower_email__in=emails
                )
            },
            policies={
                policy.slug: policy for policy in SlaPolicy.objects.filter(slug__in=named("sla"))
            },
            tiers={tier.slug: tier for tier in Tier.objects.filter(slug__in=named("tier"))},
            products={product.sku: product for product in Product.objects.filter(sku__in=skus)},
        )

    def resolve(self, fields: dict[str, Any], *, creating: bool) -> None:
        """Replace the names in `fields` by the objects found, in place."""
        if "channel_manager" in fields:
            email = fields["channel_manager"]
            fields["channel_manager"] = self.managers.get(email.strip().lower(), email)
        elif creating:
            fields["channel_manager"] = self.default_manager
        if "sla" in fields:
            fields["sla"] = self.policies.get(fields["sla"], fields["sla"])
        elif creating and self.default_policy is not None:
            fields["sla"] = self.default_policy
        if fields.get("tier"):
            fields["tier"] = self.tiers.get(fields["tier"], fields["tier"])
        if "products" in fields:
            fields["products"] = [self.products.get(sku, sku) for sku in fields["products"]]


@dataclass
class _Pass:
    """One pass over rows: checking them (dry run) or writing them."""

    job: ImportJob
    lookups: _Lookups
    duplicates: dict[int, dict[str, list[str]]]
    dry_run: bool
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # One serializer for every row: building its fields anew per row costs more than
    # checking the row.
    _creating: PartnerInputSerializer = field(default_factory=PartnerInputSerializer)
    _updating: PartnerInputSerializer = field(
        default_factory=lambda: PartnerInputSerializer(partial=True)
    )

    def run(self, rows: Sequence[SheetRow]) -> None:
        refs = [row.ref for row in rows if row.ref]
        existing = {partner.ref: partner for partner in Partner.objects.filter(ref__in=refs)}
        for row in rows:
            self._row(row, existing.get(row.ref))

    def _fail(self, row: SheetRow, errors: dict[str, list[str]]) -> None:
        self.errors.append({"row": row.number, "ref": row.ref, "errors": errors})

    def _row(self, row: SheetRow, partner: Partner | None) -> None:
        duplicates = self.duplicates.get(row.number, {})
        errors = {name: list(messages) for name, messages in duplicates.items()}
        if row.stray_values:
            errors.setdefault(ROW_ERROR, []).append(
                "This row has values right of the last named column; name that column "
                "or remove the values."
            )
        if partner is not None and self.job.mode == ImportMode.CREATE:
            errors.setdefault("ref", []).append(
                f"A partner with ref “{row.ref}” already exists; to update it, import with "
                f"“{ImportMode.CREATE_OR_UPDATE.label}”."
            )
        if errors:
            self._fail(row, errors)
            return
        serializer = self._updating if partner is not None else self._creating
        try:
            fields = dict(serializer.run_validation(_row_data(row.values)))
        except serializers.ValidationError as error:
            self._fail(row, _serializer_errors(error.detail))  # type: ignore[arg-type]
            return
        status = fields.pop("status", None)
        fields.pop("status_reason", None)
        self.lookups.resolve(fields, creating=partner is None)
        actor = self.job.created_by
        reason = f"imported from {self.job.filename}"
        try:
            with _stopping_before_the_first_write() if self.dry_run else nullcontext():
                if partner is None:
                    partner_create(
                        actor=actor,
                        status=status or PartnerStatus.PROSPECT,
                        reason=reason,
                        **fields,
                    )
                else:
                    partner_update(
                        partner=partner, actor=actor, status=status, reason=reason, **fields
                    )
        except _EveryCheckPassed:
            pass
        except ValidationError as error:
            self._fail(row, _validation_messages(error))
            return
        except IntegrityError as error:
            # Someone wrote a clashing partner between the check and the write.
            self._fail(row, {ROW_ERROR: [f"The database refused the row: {error}".strip()]})
            return
        if partner is None:
            self.created += 1
        else:
            self.updated += 1


def _fail_job(job_id: int, message: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportState.FAILED, message=message, finished_at=now, updated_at=now
    )


def _chunks(rows: Sequence[SheetRow], start: int = 0) -> Iterator[Sequence[SheetRow]]:
    for offset in range(start, len(rows), CHUNK_ROWS):
        yield rows[offset : offset + CHUNK_ROWS]


# --- services -----------------------------------------------------------------------------


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
    if job.valid_rows == 0:
        raise ValidationError(
            "No row of this file can be imported; fix the rows listed and upload it again."
        )
    with transaction.atomic():
        started = ImportJob.objects.filter(pk=job.pk, state=ImportState.VALIDATED).update(
            state=ImportState.IMPORTING,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            error_count=0,
            attempts=0,
            updated_at=timezone.now(),
        )
        if not started:
            raise ValidationError("This import has already been started.")
        ImportJobError.objects.filter(job_id=job.pk).delete()
        queue_on_commit(import_apply, job.pk, sweep=SWEEP)
    job.refresh_from_db(
        fields=[
            "state",
            "processed_rows",
            "created_count",
            "updated_count",
            "error_count",
            "attempts",
            "updated_at",
        ]
    )
    return job


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
    _fail_job(job_id, _gave_up_message(job, runs=job.attempts - 1))
    return False


def _gave_up_message(job: ImportJob, *, runs: int) -> str:
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


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """The dry run: check every row, write no partner, record what the import would do.

    A redelivered dry run resumes after the last chunk it committed; a job whose
    check has begun MAX_ATTEMPTS times fails instead of running again.
    """
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id, state=ImportState.UPLOADED).update(
        state=ImportState.VALIDATING,
        total_rows=0,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        error_count=0,
        attempts=0,
        message="",
        updated_at=now,
    )
    if not _begin_attempt(job_id, ImportState.VALIDATING):
        return ImportJob.objects.filter(pk=job_id).defer("content", "sheet").first()
    try:
        _check_rows(job_id)
    except Exception as error:
        _fail_job(
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


def _check_rows(job_id: int) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        sheet = _sheet_of(job)
    except ImportFileError as error:
        _fail_job(job_id, str(error))
        return
    if not sheet.rows:
        _fail_job(job_id, "The file has a header row but no partners below it.")
        return
    ImportJob.objects.filter(pk=job_id).update(
        total_rows=len(sheet.rows), preview=sheet.preview(), updated_at=timezone.now()
    )
    lookups = _Lookups.for_rows(sheet.rows, actor=job.created_by)
    duplicates = _in_file_duplicates(sheet.rows)
    done = job.processed_rows
    for chunk in _chunks(sheet.rows, start=done):
        check = _Pass(job=job, lookups=lookups, duplicates=duplicates, dry_run=True)
        with transaction.atomic():
            check.run(chunk)
            # Nothing should have been written; should a service ever write before
            # saving the partner, it is undone here.
            transaction.set_rollback(True)
        last = done + len(chunk) == len(sheet.rows)
        with transaction.atomic():
            # Only from where this run found the job: a second delivery running at the
            # same time cannot count a chunk twice.
            still_checking = ImportJob.objects.filter(
                pk=job_id, state=ImportState.VALIDATING, processed_rows=done
            ).update(
                processed_rows=done + len(chunk),
                created_count=F("created_count") + check.created,
                updated_count=F("updated_count") + check.updated,
                error_count=F("error_count") + len(check.errors),
                updated_at=timezone.now(),
                **({"state": ImportState.VALIDATED, "attempts": 0} if last else {}),
            )
            if not still_checking:
                return  # the job was stopped meanwhile, or another delivery went on
            ImportJobError.objects.bulk_create(_error_rows(job_id, check.errors))
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
        _fail_job(job_id, str(error))
        return ImportJob.objects.defer("content", "sheet").get(pk=job_id)
    lookups = _Lookups.for_rows(sheet.rows, actor=job.created_by)
    duplicates = _in_file_duplicates(sheet.rows)
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
                chunk = sheet.rows[done : done + CHUNK_ROWS]
                write = _Pass(job=locked, lookups=lookups, duplicates=duplicates, dry_run=False)
                write.run(chunk)
                locked.processed_rows = done + len(chunk)
                locked.total_rows = len(sheet.rows)
                locked.created_count += write.created
                locked.updated_count += write.updated
                locked.error_count += len(write.errors)
                ImportJobError.objects.bulk_create(_error_rows(job_id, write.errors))
                if locked.processed_rows >= len(sheet.rows):
                    locked.state = ImportState.DONE
                    locked.finished_at = timezone.now()
                locked.save(
                    update_fields=[
                        "processed_rows",
                        "total_rows",
                        "created_count",
                        "updated_count",
                        "error_count",
                        "state",
                        "finished_at",
                        "updated_at",
                    ]
                )
            if locked.state == ImportState.DONE:
                return locked
    except Exception as error:
        _fail_job(
            job_id,
            f"The import stopped unexpectedly after {done} of {len(sheet.rows)} rows "
            f"({error.__class__.__name__}); the rows before were imported. Upload the rest "
            "of the file again, or ask an administrator to look at the worker's log.",
        )
        raise


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


# --- selectors ----------------------------------------------------------------------------


def import_job_list() -> QuerySet[ImportJob]:
    """Import jobs, newest first, without their files."""
    return ImportJob.objects.select_related("created_by").defer("content", "sheet", "preview")


def import_job_get(*, public_id: Any) -> ImportJob:
    """One job by its public id, without its file; ImportJob.DoesNotExist otherwise.
    Its errors (ImportJobError rows) are read when used: not on every poll of a
    running job."""
    return (
        ImportJob.objects.select_related("created_by")
        .defer("content", "sheet")
        .get(public_id=public_id)
    )


# --- tasks --------------------------------------------------------------------------------


class _ImportTask(app.Task):
    """An import task whose deliveries ran out (prm.celery: its worker died each
    time) fails its job with a message, instead of leaving it "checking" forever."""

    def gave_up(self, job_id: int, *args: Any, **kwargs: Any) -> None:
        job = ImportJob.objects.filter(pk=job_id).defer("content", "sheet").first()
        if job is not None and job.is_running:
            _fail_job(job_id, _gave_up_message(job, runs=job.attempts))


@app.task(name="partners.import_validate", base=_ImportTask)
def import_validate(job_id: int) -> str | None:
    job = import_job_validate(job_id=job_id)
    return job.state if job else None


@app.task(name="partners.import_apply", base=_ImportTask)
def import_apply(job_id: int) -> str | None:
    job = import_job_apply(job_id=job_id)
    return job.state if job else None
