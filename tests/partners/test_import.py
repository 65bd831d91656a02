"""Importing partners from CSV and XLSX: reading files, the dry run, the import, the
pages, and one 10,000-row file through the real worker."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from partners import imports
from partners.imports import (
    COLUMNS,
    ImportFileError,
    import_job_apply,
    import_job_create,
    import_job_start,
    import_job_validate,
    read_sheet,
    steps,
)
from partners.imports import rows as row_pass
from partners.models import (
    ImportFormat,
    ImportJob,
    ImportMode,
    ImportState,
    Partner,
    Product,
    StatusChange,
)
from partners.services import partner_create, product_create
from prm.accounts.models import Role, User
from prm.celery import app
from tests.conftest import TenantClient
from tests.factories import UserFactory

HEADER = ["ref", "name", "domain", "phone", "country", "products", "channel_manager", "tags"]


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    """The whole test runs in alpha's schema."""
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def manager(alpha: Any) -> User:
    return UserFactory.create(role=Role.MANAGER, email="imre.importer@example.com")


@pytest.fixture
def router(alpha: Any) -> Product:
    return product_create(actor=None, sku="router-x1", name="Router X1")


def csv_file(rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    output = io.StringIO()
    csv.writer(output, delimiter=delimiter).writerows(rows)
    return output.getvalue().encode()


def xlsx_file(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def good_row(number: int, **overrides: str) -> list[str]:
    values = {
        "ref": f"reseller-{number}",
        "name": f"Reseller {number} Ltd",
        "domain": f"reseller{number}.example",
        "phone": "+44 20 7946 0958",
        "country": "GB",
        "products": "",
        "channel_manager": "",
        "tags": "",
        **overrides,
    }
    return [values[column] for column in HEADER]


def upload(
    actor: User | None,
    rows: list[list[str]],
    *,
    mode: str = ImportMode.CREATE,
    filename: str = "partners.csv",
) -> ImportJob:
    return import_job_create(
        actor=actor, filename=filename, content=csv_file([HEADER, *rows]), mode=mode
    )


def checked(job: ImportJob) -> ImportJob:
    result = import_job_validate(job_id=job.pk)
    assert result is not None
    return result


def imported(job: ImportJob) -> ImportJob:
    import_job_start(job=job)
    result = import_job_apply(job_id=job.pk)
    assert result is not None
    return result


def errors_by_row(job: ImportJob) -> dict[int, dict[str, list[str]]]:
    return {entry["row"]: entry["errors"] for entry in job.errors}


def registry_counts() -> dict[str, int]:
    return {
        "partners": Partner.objects.count(),
        "status changes": StatusChange.objects.count(),
        "partner history": Partner.history.count(),
    }


# --- reading files ---------------------------------------------------------------------


def test_a_csv_is_read_with_the_row_numbers_a_spreadsheet_shows() -> None:
    # given a UTF-8 CSV with a byte-order mark, headers in another case, a blank line
    # and a quoted value over two lines
    content = (
        "\ufeffRef,Name,Contact Name\r\n"
        "acme,Acme,Ann\r\n"
        "\r\n"
        'globex,"Globex\nCorp",Gil\r\n'
        "initech,Initech,\r\n"
    ).encode()

    # when it is read
    sheet = read_sheet(content=content, file_format=ImportFormat.CSV)

    # then the columns are the API's names and each row keeps its spreadsheet number
    assert sheet.columns == ["ref", "name", "contact_name"]
    assert [(row.number, row.ref) for row in sheet.rows] == [
        (2, "acme"),
        (4, "globex"),
        (5, "initech"),
    ]
    assert sheet.rows[1].values["name"] == "Globex\nCorp"


def test_a_semicolon_csv_from_excel_in_windows_encoding_is_read() -> None:
    # given what Excel writes as "CSV" where the decimal separator is a comma
    content = "ref;name;city\nmuller;Müller GmbH;Köln\n".encode("cp1252")

    # when it is read
    sheet = read_sheet(content=content, file_format=ImportFormat.CSV)

    # then the delimiter and the accents are right
    assert sheet.rows[0].values == {"ref": "muller", "name": "Müller GmbH", "city": "Köln"}


def test_an_xlsx_is_read_with_numbers_as_text_and_row_numbers_kept() -> None:
    # given a workbook with a numeric cell, an empty row and a value in a column
    # without a name
    content = xlsx_file(
        [
            ["ref", "name", "postal_code", "phone"],
            ["acme", "Acme", 75001, None],
            [],
            ["globex", "Globex", "SW1A 1AA", "+44 20 7946 0958", "stray"],
        ]
    )

    # when it is read
    sheet = read_sheet(content=content, file_format=ImportFormat.XLSX)

    # then numbers are text, empty cells are empty and the empty row keeps its number
    assert [row.number for row in sheet.rows] == [2, 4]
    assert sheet.rows[0].values == {
        "ref": "acme",
        "name": "Acme",
        "postal_code": "75001",
        "phone": "",
    }
    assert not sheet.rows[0].stray_values
    assert sheet.rows[1].stray_values


@pytest.mark.parametrize(
    "header",
    [
        ["ref", "name", "website", "fax"],
        ["name", "domain"],
        ["domain", "city"],
        ["ref", "name", "Name"],
    ],
)
def test_headers_that_are_not_the_imports_names_are_read_for_a_person_to_map(
    header: list[str],
) -> None:
    # given a header that does not use the API's names, each once, with ref and name
    content = csv_file([header, ["x"] * len(header)])

    # when it is read
    sheet = read_sheet(content=content, file_format=ImportFormat.CSV)

    # then the file is read as it is, and its columns wait for a mapping
    assert sheet.headers == header
    assert sheet.exact_mapping is None
    assert sheet.cells == [(2, False, ["x"] * len(header))]


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    # when bytes that are no workbook are read as XLSX, then the file is refused
    with pytest.raises(ImportFileError, match=r"not a readable Excel \.xlsx workbook"):
        read_sheet(content=b"PK\x03\x04 not really a zip", file_format=ImportFormat.XLSX)


# --- uploading --------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_and_nothing_kept(manager: User) -> None:
    # given a file one byte over the limit
    content = b"ref,name\n" + b"x" * imports.MAX_FILE_BYTES

    # when it is uploaded, then it is refused with the limit in the message
    with pytest.raises(ValidationError, match="at most 20 MB") as error:
        import_job_create(actor=manager, filename="big.csv", content=content)
    assert list(error.value.message_dict) == ["file"]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("partners.xls", b"\xd0\xcf\x11\xe0", "Old Excel files"),
        ("partners.pdf", b"%PDF", "Upload a .csv or .xlsx file"),
        ("partners.csv", b"PK\x03\x04rest", "Excel workbook named .csv"),
        ("partners.xlsx", b"ref,name\n", "not an Excel workbook"),
    ],
)
def test_files_of_the_wrong_kind_are_refused(
    manager: User, filename: str, content: bytes, expected: str
) -> None:
    # when such a file is uploaded, then it is refused, saying what to upload instead
    with pytest.raises(ValidationError, match=expected):
        import_job_create(actor=manager, filename=filename, content=content)
    assert not ImportJob.objects.exists()


def test_unknown_columns_make_the_job_wait_for_its_mapping(manager: User) -> None:
    # given an uploaded file with a column the API does not have
    job = import_job_create(
        actor=manager, filename="p.csv", content=csv_file([["ref", "name", "fax"], ["a", "A", "1"]])
    )

    # when it is checked
    job = checked(job)

    # then the job waits for a person to map its columns, and nothing can be run yet
    assert job.state == ImportState.MAPPING
    assert job.preview["headers"] == ["ref", "name", "fax"]
    assert (job.processed_rows, job.error_count) == (0, 0)
    with pytest.raises(ValidationError, match="cannot be run"):
        import_job_start(job=job)


# --- the dry run --------------------------------------------------------------------------


def test_the_dry_run_counts_what_would_happen_and_writes_nothing(
    manager: User, router: Product
) -> None:
    # given a file of two good partners, one of them with a product and tags
    before = registry_counts()
    job = upload(
        manager,
        [good_row(1, products="router-x1", tags="gold; emea"), good_row(2)],
    )

    # when it is checked
    job = checked(job)

    # then it would create both, and no partner, status change or history was written
    assert job.state == ImportState.VALIDATED
    assert (job.total_rows, job.processed_rows) == (2, 2)
    assert (job.created_count, job.updated_count, job.error_count) == (2, 0, 0)
    assert job.errors == []
    assert registry_counts() == before
    assert job.preview["columns"] == job.preview["headers"] == HEADER
    assert job.mapping == HEADER
    assert job.preview["rows"][0]["row"] == 2
    assert job.preview["rows"][0]["values"][0] == "reseller-1"


def test_the_dry_run_reports_each_bad_row_by_number_with_reasons(
    manager: User, router: Product
) -> None:
    # given a file whose rows 3, 5 and 6 are wrong in different ways
    job = upload(
        manager,
        [
            good_row(1),
            good_row(2, phone="12345"),
            good_row(3),
            good_row(4, domain="reseller 4.example"),
            good_row(5, products="router-x1;no-such-sku", channel_manager="nobody@example.com"),
            good_row(6, ref=""),
        ],
    )

    # when it is checked
    job = checked(job)

    # then exactly those rows are reported, by row number and field, with reasons
    errors = errors_by_row(job)
    assert set(errors) == {3, 5, 6, 7}
    assert list(errors[3]) == ["phone"]
    assert "“12345” is not a valid phone number" in errors[3]["phone"][0]
    assert list(errors[5]) == ["domain"]
    assert "“reseller 4.example” is not a valid domain" in errors[5]["domain"][0]
    assert errors[6] == {
        "products": ["Unknown product SKU: no-such-sku."],
        "channel_manager": ["There is no user with e-mail nobody@example.com."],
    }
    assert errors[7] == {"ref": ["This field is required."]}
    assert (job.created_count, job.error_count) == (2, 4)
    assert {entry["ref"] for entry in job.errors if entry["row"] == 3} == {"reseller-2"}


def test_the_dry_run_finds_a_ref_or_domain_repeated_in_the_file(manager: User) -> None:
    # given a file repeating a ref and, in another row, a domain (written differently)
    job = upload(
        manager,
        [
            good_row(1),
            good_row(2),
            good_row(1, name="Reseller One again", domain="other.example"),
            good_row(3, domain="WWW.Reseller2.example"),
        ],
    )

    # when it is checked
    job = checked(job)

    # then the later rows are reported, pointing at the first
    errors = errors_by_row(job)
    assert errors == {
        4: {"ref": ["Row 2 has the same ref “reseller-1”; a ref may appear only once in a file."]},
        5: {
            "domain": [
                "Row 3 has the same domain “reseller2.example”; each partner needs its own domain."
            ]
        },
    }
    assert job.created_count == 2


def test_the_dry_run_applies_the_same_rules_as_partner_create(manager: User) -> None:
    # given a partner that exists, and a file of a new partner taking its domain and a
    # row whose manager is a partner user
    partner_create(
        actor=None, ref="taken", name="Taken", domain="taken.example", channel_manager=manager
    )
    portal_user = UserFactory.create(role=Role.PARTNER, email="portal@example.com")
    job = upload(
        manager,
        [
            good_row(1, domain="taken.example"),
            good_row(2, channel_manager=portal_user.email),
        ],
    )

    # when it is checked
    job = checked(job)

    # then the database-backed and role rules of partner_create caught both
    errors = errors_by_row(job)
    assert errors[2] == {"domain": ["Another partner already has this domain."]}
    assert "cannot manage partners" in errors[3]["channel_manager"][0]


# --- create only, or create and update -----------------------------------------------------


def test_create_only_mode_reports_existing_refs(manager: User) -> None:
    # given an existing partner and a create-only file naming it
    partner_create(actor=None, ref="reseller-1", name="Old Name", channel_manager=manager)
    job = upload(manager, [good_row(1), good_row(2)], mode=ImportMode.CREATE)

    # when the file is checked and imported
    job = imported(checked(job))

    # then the existing partner is reported and left alone, the new one created
    assert "already exists" in errors_by_row(job)[2]["ref"][0]
    assert (job.created_count, job.updated_count, job.error_count) == (1, 0, 1)
    assert Partner.objects.get(ref="reseller-1").name == "Old Name"
    assert Partner.objects.filter(ref="reseller-2").exists()


def test_update_mode_updates_existing_refs_with_the_cells_given(manager: User) -> None:
    # given an existing partner with a city and a file that renames it, leaving the city
    # cell empty
    partner_create(
        actor=None, ref="reseller-1", name="Old Name", city="Leeds", channel_manager=manager
    )
    job = import_job_create(
        actor=manager,
        filename="update.csv",
        content=csv_file(
            [["ref", "name", "city", "status"], ["reseller-1", "New Name", "", "onboarding"]]
        ),
        mode=ImportMode.CREATE_OR_UPDATE,
    )

    # when it is checked, then it would update one partner
    job = checked(job)
    assert (job.created_count, job.updated_count, job.error_count) == (0, 1, 0)
    assert Partner.objects.get(ref="reseller-1").name == "Old Name"

    # when it is imported
    job = imported(job)

    # then the partner has the new name and status, and kept its city
    partner = Partner.objects.get(ref="reseller-1")
    assert (partner.name, partner.city, partner.status) == ("New Name", "Leeds", "onboarding")
    assert (job.created_count, job.updated_count) == (0, 1)
    assert partner.status_changes.first().reason == "imported from update.csv"  # type: ignore[union-attr]


def test_the_dry_run_applies_the_lifecycle_rules_of_partner_update(manager: User) -> None:
    # given a prospect and a file that would make it an affiliate at once
    partner_create(actor=None, ref="reseller-1", name="Reseller", channel_manager=manager)
    job = import_job_create(
        actor=manager,
        filename="jump.csv",
        content=csv_file([["ref", "name", "status"], ["reseller-1", "Reseller", "affiliate"]]),
        mode=ImportMode.CREATE_OR_UPDATE,
    )

    # when it is checked
    job = checked(job)

    # then the lifecycle rule is reported, as partner_update words it
    assert errors_by_row(job) == {
        2: {"status": ["A prospect partner can only become onboarding, suspended, terminated."]}
    }
    assert job.updated_count == 0


# --- the import -----------------------------------------------------------------------------


def test_a_bad_row_does_not_undo_the_good_rows(manager: User, router: Product) -> None:
    # given a checked file with a bad row between good ones
    job = checked(
        upload(
            manager,
            [good_row(1, products="router-x1", tags="gold"), good_row(2, phone="12"), good_row(3)],
        )
    )

    # when it is imported
    job = imported(job)

    # then the good rows are partners, as partner_create makes them, and the bad one is
    # reported
    assert job.state == ImportState.DONE
    assert (job.created_count, job.updated_count, job.error_count) == (2, 0, 1)
    assert set(errors_by_row(job)) == {3}
    assert set(Partner.objects.values_list("ref", flat=True)) >= {"reseller-1", "reseller-3"}
    assert not Partner.objects.filter(ref="reseller-2").exists()
    first = Partner.objects.get(ref="reseller-1")
    assert list(first.products.values_list("sku", flat=True)) == ["router-x1"]
    assert first.tags == ["gold"]
    assert first.channel_manager == manager
    assert str(first.phone) == "+442079460958"
    assert first.status_changes.count() == 1
    assert first.history.first().history_user == manager


def test_an_xlsx_file_is_imported(manager: User) -> None:
    # given an uploaded workbook
    content = xlsx_file(
        [["ref", "name", "phone", "country"], ["wb-1", "Workbook One", 2079460958, "GB"]]
    )
    job = import_job_create(actor=manager, filename="partners.xlsx", content=content)

    # when it is checked and imported
    job = imported(checked(job))

    # then the partner exists, its number read in its country
    assert (job.format, job.created_count, job.error_count) == (ImportFormat.XLSX, 1, 0)
    assert str(Partner.objects.get(ref="wb-1").phone) == "+442079460958"


def test_running_the_import_again_creates_nothing_more(manager: User) -> None:
    # given a file that was imported
    job = imported(checked(upload(manager, [good_row(1), good_row(2)])))
    before = registry_counts()

    # when the task is delivered again, and someone tries to start it again
    again = import_job_apply(job_id=job.pk)

    # then nothing changed
    assert again is not None
    assert (again.state, again.created_count) == (ImportState.DONE, 2)
    assert registry_counts() == before
    with pytest.raises(ValidationError, match="cannot be run"):
        import_job_start(job=again)


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: nothing after it runs."""


def test_a_redelivered_import_resumes_without_duplicating(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an import in chunks of 2 rows whose worker dies in the middle of the 2nd chunk
    monkeypatch.setattr(steps, "CHUNK_ROWS", 2)
    job = checked(upload(manager, [good_row(number) for number in range(1, 6)]))
    import_job_start(job=job)
    real_create = row_pass.partner_create
    calls = {"count": 0}

    def dying_create(**fields: Any) -> Partner:
        calls["count"] += 1
        if calls["count"] == 4:
            raise WorkerDied
        return real_create(**fields)

    monkeypatch.setattr(row_pass, "partner_create", dying_create)
    with pytest.raises(WorkerDied):
        import_job_apply(job_id=job.pk)

    # then the first chunk stayed, counted, and the broken chunk left nothing
    job.refresh_from_db()
    assert (job.state, job.processed_rows, job.created_count) == (ImportState.IMPORTING, 2, 2)
    assert Partner.objects.filter(ref__startswith="reseller-").count() == 2

    # when the task is delivered again
    monkeypatch.setattr(row_pass, "partner_create", real_create)
    result = import_job_apply(job_id=job.pk)

    # then every row was imported exactly once
    assert result is not None
    assert (result.state, result.processed_rows, result.created_count) == (ImportState.DONE, 5, 5)
    refs = list(Partner.objects.filter(ref__startswith="reseller-").values_list("ref", flat=True))
    assert sorted(refs) == [f"reseller-{number}" for number in range(1, 6)]
    assert StatusChange.objects.filter(partner__ref__startswith="reseller-").count() == 5


def test_an_unexpected_error_fails_the_job_and_keeps_the_rows_before(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an import in chunks of 2 rows that crashes in its 2nd chunk
    monkeypatch.setattr(steps, "CHUNK_ROWS", 2)
    job = checked(upload(manager, [good_row(number) for number in range(1, 5)]))
    import_job_start(job=job)
    real_create = row_pass.partner_create

    def crashing_create(**fields: Any) -> Partner:
        if fields["ref"] == "reseller-4":
            raise RuntimeError("boom")
        return real_create(**fields)

    monkeypatch.setattr(row_pass, "partner_create", crashing_create)

    # when it runs, then the error goes on to the worker's log
    with pytest.raises(RuntimeError):
        import_job_apply(job_id=job.pk)

    # and the job failed, saying how far it got; the first chunk stayed
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert "stopped unexpectedly after 2 of 4 rows" in job.message
    assert Partner.objects.filter(ref__startswith="reseller-").count() == 2


def test_a_file_without_any_valid_row_cannot_be_run(manager: User) -> None:
    # given a checked file whose only row is bad
    job = checked(upload(manager, [good_row(1, phone="1")]))

    # when it is started, then it is refused
    with pytest.raises(ValidationError, match="No row of this file can be imported"):
        import_job_start(job=job)


# --- the pages ---------------------------------------------------------------------------


@pytest.fixture
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued tasks run at once, in the process, in the schema they were queued in."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


def test_upload_preview_confirm_and_report_in_the_browser(
    alpha_manager: TenantClient,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the import page
    page = alpha_manager.get(reverse("partner_import:start"))
    assert page.status_code == 200
    assert b"Template CSV" in page.content
    assert b"channel_manager" in page.content

    # when a manager uploads a file with a bad row
    content = csv_file(
        [
            ["ref", "name", "phone"],
            ["web-1", "Web One", "+44 20 7946 0958"],
            ["web-2", "Web Two", "not a phone"],
            ["web-3", "Web Three", ""],
        ]
    )
    with django_capture_on_commit_callbacks() as queued:
        response = alpha_manager.post(
            reverse("partner_import:start"),
            {"file": _named(content, "web.csv"), "mode": ImportMode.CREATE},
        )
    with in_tenant(tenant_a):
        job = ImportJob.objects.get()
        assert job.created_by == alpha_manager.user
    job_url = reverse("partner_import:job", args=[job.public_id])
    assert response.status_code == 302
    assert response["Location"] == job_url

    # then, while the dry run waits for a worker, the page polls for progress
    waiting = alpha_manager.get(job_url)
    assert b'hx-trigger="every 1s"' in waiting.content
    assert b"Waiting for a worker" in waiting.content

    # when the worker has checked it
    assert len(queued) == 1
    with in_tenant(tenant_a):
        queued[0]()
    preview = alpha_manager.get(job_url)

    # then the page shows what would happen, the first rows, the bad row, and the button
    text = preview.content.decode()
    assert 'hx-trigger="every 1s"' not in text
    assert "What the import would do" in text
    assert "Web Three" in text
    assert "<td>3</td><td>web-2</td><td><code>phone</code></td>" in text
    assert "Run the import (2 rows)" in text
    with in_tenant(tenant_a):
        assert not Partner.objects.filter(ref__startswith="web-").exists()

    # when the manager confirms
    with django_capture_on_commit_callbacks() as queued:
        response = alpha_manager.post(reverse("partner_import:run", args=[job.public_id]))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert len(queued) == 1
        queued[0]()

    # then the report says what was done, and the error report lists the bad row
    report = alpha_manager.get(job_url).content.decode()
    assert "Import finished" in report
    assert "2 partners created, 0 updated, 1 row failed." in report
    with in_tenant(tenant_a):
        assert set(
            Partner.objects.filter(ref__startswith="web-").values_list("ref", flat=True)
        ) == {
            "web-1",
            "web-3",
        }
    download = alpha_manager.get(reverse("partner_import:errors", args=[job.public_id]))
    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="web-errors.csv"' in download["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "ref", "field", "message"]
    assert [line[:3] for line in lines[1:]] == [["3", "web-2", "phone"]]

    # and the import page lists the job
    assert job.filename.encode() in alpha_manager.get(reverse("partner_import:start")).content


def _named(content: bytes, name: str) -> io.BytesIO:
    upload_file = io.BytesIO(content)
    upload_file.name = name
    return upload_file


def test_the_progress_bar_shows_how_far_a_running_import_is(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given an import that is half way
    with in_tenant(tenant_a):
        job = ImportJob.objects.create(
            filename="half.csv",
            format=ImportFormat.CSV,
            content=b"ref,name\n",
            state=ImportState.IMPORTING,
            total_rows=400,
            processed_rows=200,
        )

    # when its status is polled
    response = alpha_manager.get(reverse("partner_import:status", args=[job.public_id]))

    # then it shows a progress bar at 50% and keeps polling
    text = response.content.decode()
    assert 'aria-valuenow="50"' in text
    assert 'data-progress="50"' in text
    assert "Importing: 200 of 400 rows" in text
    assert 'hx-trigger="every 1s"' in text


def test_a_file_over_the_limit_is_refused_by_the_form(
    alpha_manager: TenantClient,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a limit of 10 bytes
    monkeypatch.setattr("partners.forms_import.MAX_FILE_BYTES", 10)

    # when a larger file is uploaded
    response = alpha_manager.post(
        reverse("partner_import:start"),
        {"file": _named(b"ref,name\nacme,Acme\n", "p.csv"), "mode": ImportMode.CREATE},
    )

    # then the form says so and nothing is kept
    assert response.status_code == 200
    assert b"can be imported. Split it into smaller files." in response.content
    with in_tenant(tenant_a):
        assert not ImportJob.objects.exists()


def test_the_template_csv_names_every_column(alpha_manager: TenantClient) -> None:
    # when the template is downloaded
    response = alpha_manager.get(reverse("partner_import:template"))

    # then it is a CSV whose header is every column the import reads
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == list(COLUMNS)
    assert {"ref", "name", "products", "channel_manager", "responsibilities"} <= set(header)
    # and the import reads it back as it is
    assert read_sheet(content=response.content, file_format=ImportFormat.CSV).columns == header


def test_partner_users_cannot_reach_the_import(
    alpha_partner: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given an import job of the tenant
    with in_tenant(tenant_a):
        job = ImportJob.objects.create(filename="p.csv", format=ImportFormat.CSV, content=b"x")

    # when a partner user opens or posts to any import page, then they are refused
    for name, args in [
        ("start", []),
        ("template", []),
        ("job", [job.public_id]),
        ("status", [job.public_id]),
        ("errors", [job.public_id]),
    ]:
        assert alpha_partner.get(reverse(f"partner_import:{name}", args=args)).status_code == 403
    upload_response = alpha_partner.post(
        reverse("partner_import:start"), {"file": _named(b"ref,name\na,A\n", "p.csv")}
    )
    assert upload_response.status_code == 403
    run = alpha_partner.post(reverse("partner_import:run", args=[job.public_id]))
    assert run.status_code == 403
    with in_tenant(tenant_a):
        assert ImportJob.objects.get().state == ImportState.UPLOADED
        assert ImportJob.objects.count() == 1


def test_an_unknown_job_is_not_found(alpha_manager: TenantClient) -> None:
    # when a manager opens a job that does not exist, then it is not found
    response = alpha_manager.get(reverse("partner_import:job", args=[uuid.uuid4()]))
    assert response.status_code == 404


# --- 10,000 rows on the real worker --------------------------------------------------------

BIG_ROWS = 10_000
# Seconds each pass may take: every row goes through partner_create (see the report
# printed by the test for what it took).
BIG_TIMEOUT = 900


@pytest.mark.worker
@pytest.mark.timeout(BIG_TIMEOUT * 2 + 120)
def test_ten_thousand_rows_with_three_bad_ones_on_the_worker(
    committed: Callable[[Callable[[], Any]], None],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    live_worker: Any,
) -> None:
    # given a manager, a product and a 10,000-row file whose rows 1236, 5680 and 10001
    # have a bad phone, a bad domain and an unknown product
    marker = uuid.uuid4().hex[:8]
    prefix = f"bulk-{marker}-"
    with in_tenant(tenant_a):
        manager = UserFactory.create(role=Role.MANAGER, email=f"bulk-{marker}@example.com")
        product = product_create(actor=None, sku=f"bulk-{marker}", name=f"Bulk {marker}")

    def clean_up() -> None:
        with in_tenant(tenant_a):
            # Stop a job still running first: this waits for the chunk the worker is
            # in (it holds the job's lock), and the worker then stops.
            ImportJob.objects.filter(created_by=manager).update(state=ImportState.FAILED)
            # Without a "deleted" history record per partner (10,000 of them, each with
            # its products): the history of these partners goes next anyway.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                Partner.objects.filter(ref__startswith=prefix).delete()
            Partner.history.filter(ref__startswith=prefix).delete()
            ImportJob.objects.filter(created_by=manager).delete()
            product.delete()
            Product.history.filter(sku=product.sku).delete()
            manager.delete()

    committed(clean_up)
    bad = {
        1236: ("phone", "12345"),
        5680: ("domain", "bad domain.example"),
        10001: ("products", f"{product.sku};no-such-{marker}"),
    }
    rows = [["ref", "name", "domain", "phone", "country", "products", "channel_manager"]]
    for index in range(BIG_ROWS):
        row = {
            "ref": f"{prefix}{index:05d}",
            "name": f"Bulk Partner {index}",
            "domain": f"p{index}-{marker}.example",
            "phone": "020 7946 0958",
            "country": "GB",
            "products": product.sku,
            "channel_manager": manager.email,
        }
        if index + 2 in bad:
            column, value = bad[index + 2]
            row[column] = value
        rows.append(list(row.values()))
    content = csv_file(rows)

    def job_state() -> dict[str, Any]:
        with in_tenant(tenant_a):
            return dict(
                ImportJob.objects.filter(pk=job.pk).values(
                    "state", "processed_rows", "total_rows", "created_count", "error_count"
                )[0]
            )

    def watch(until: str, timeout: float) -> tuple[dict[str, Any], set[int]]:
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while True:
            state = job_state()
            seen.add(state["processed_rows"])
            if state["state"] in (until, ImportState.FAILED):
                return state, seen
            assert time.monotonic() < deadline, f"still {state} after {timeout}s"
            time.sleep(0.25)

    # when it is uploaded, checked by the worker, confirmed and imported by the worker
    started = time.monotonic()
    with in_tenant(tenant_a):
        job = import_job_create(actor=manager, filename="bulk.csv", content=content)
    checked_state, seen_checking = watch(ImportState.VALIDATED, timeout=BIG_TIMEOUT)
    check_seconds = time.monotonic() - started
    assert checked_state["state"] == ImportState.VALIDATED, checked_state
    assert (checked_state["created_count"], checked_state["error_count"]) == (9_997, 3)
    with in_tenant(tenant_a):
        import_job_start(job=ImportJob.objects.get(pk=job.pk))
    started_import = time.monotonic()
    done_state, seen_importing = watch(ImportState.DONE, timeout=BIG_TIMEOUT)
    import_seconds = time.monotonic() - started_import
    print(  # noqa: T201
        f"\n{BIG_ROWS} rows: dry run {check_seconds:.1f}s, import {import_seconds:.1f}s"
    )

    # then 9,997 partners exist and exactly the 3 bad rows are reported, with reasons
    assert done_state["state"] == ImportState.DONE, done_state
    with in_tenant(tenant_a):
        job.refresh_from_db()
        assert Partner.objects.filter(ref__startswith=prefix).count() == 9_997
        errors = errors_by_row(job)
    assert (job.total_rows, job.created_count, job.updated_count, job.error_count) == (
        BIG_ROWS,
        9_997,
        0,
        3,
    )
    assert set(errors) == set(bad)
    assert "not a valid phone number" in errors[1236]["phone"][0]
    assert "“bad domain.example” is not a valid domain" in errors[5680]["domain"][0]
    assert errors[10001] == {"products": [f"Unknown product SKU: no-such-{marker}."]}

    # and progress was visible while each pass ran
    assert any(0 < seen < BIG_ROWS for seen in seen_checking), seen_checking
    assert any(0 < seen < BIG_ROWS for seen in seen_importing), seen_importing
