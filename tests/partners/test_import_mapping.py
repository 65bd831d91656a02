"""The import's column mapping, every error of a row at once, and what a re-import
changes (issue 16, item 9): a sheet with "Company Name, Website, Country" headers is
mapped and imported through the pages; an unchanged export previews 0 changes and
writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners.fields import FIELDS
from partners.imports import (
    check_mapping,
    import_job_create,
    import_job_map,
    import_job_start,
    ref_from_name,
    suggest_mapping,
)
from partners.imports.mapping import SYNONYMS, exact_mapping
from partners.models import ImportJob, ImportJobChange, ImportMode, ImportState, Partner
from partners.services import partner_create, product_create, tier_create
from prm.accounts.models import User
from prm.webhooks.models import Delivery, Subscription
from tests.conftest import TenantClient
from tests.partners.test_import import (
    _named,
    checked,
    csv_file,
    errors_by_row,
    imported,
    registry_counts,
)
from tests.partners.test_import import alpha as alpha  # the fixtures
from tests.partners.test_import import eager_tasks as eager_tasks
from tests.partners.test_import import manager as manager

# --- the suggestion ------------------------------------------------------------------------


def test_headers_other_tools_write_are_matched_to_the_partner_fields() -> None:
    # given the headers of a CRM's export, in their own words and cases
    headers = [
        "Company Name",
        "Website",
        "URL",
        "Country",
        "Telephone",
        "Contact",
        "E-mail",
        "Zip Code",
        "Account Manager",
        "Contact Phone",
        "Fax",
        "",
    ]

    # when a mapping is suggested
    suggested = suggest_mapping(headers)

    # then each known header gets its field, a field once (the first column of equals),
    # and the rest are left out
    assert [suggestion.field for suggestion in suggested] == [
        "name",
        "domain",
        "",  # "URL" is a domain too, but Website came first
        "country",
        "phone",
        "contact_name",
        "contact_email",
        "postal_code",
        "channel_manager",
        "contact_phone",
        "",
        "",
    ]
    assert all(suggestion.exact for suggestion in suggested if suggestion.field)


def test_field_names_and_labels_match_exactly_and_typos_closely() -> None:
    # given a field name, a label in another case, and two misspelt headers
    headers = ["contact_email", "BUSINESS NAME", "Contry", "Adress", "Favourite colour"]

    # when a mapping is suggested
    suggested = suggest_mapping(headers)

    # then names and labels are exact, the typos close, and the unknown one left out
    assert [(s.field, s.exact) for s in suggested] == [
        ("contact_email", True),
        ("name", True),
        ("country", False),
        ("street", False),
        ("", False),
    ]


def test_every_synonym_names_a_field_of_the_spec() -> None:
    # the synonyms are keyed by the field spec's names (partners.fields)
    assert set(SYNONYMS) <= {spec.name for spec in FIELDS}


def test_only_the_imports_own_names_map_a_file_without_a_person() -> None:
    # the template's and the export's headers map themselves; anything else waits
    assert exact_mapping(["Ref", "Name", "contact-email"]) == ["ref", "name", "contact_email"]
    assert exact_mapping(["ref", "name", "website"]) is None
    assert exact_mapping(["name", "domain"]) is None
    assert exact_mapping(["ref", "name", "Name"]) is None


def test_a_mapping_without_the_name_or_with_a_field_twice_is_refused_with_why() -> None:
    # when a mapping leaves the name out and maps two columns to the domain
    with pytest.raises(ValidationError) as refused:
        check_mapping(["Website", "URL", "Country"], ["domain", "domain", "country"])

    # then both problems are said, naming the columns
    messages = refused.value.messages
    assert any(
        "Website domain is chosen for 2 columns (“Website”, “URL”)" in message
        for message in messages
    )
    assert any("column that holds the business name" in message for message in messages)


def test_an_update_may_name_partners_by_ref_alone() -> None:
    # a file that updates partners needs no name column when it has the refs
    assert check_mapping(["Partner ID", "Phone"], ["ref", "phone"], updating=True) == [
        "ref",
        "phone",
    ]
    with pytest.raises(ValidationError, match="business name"):
        check_mapping(["Partner ID", "Phone"], ["ref", "phone"])
    with pytest.raises(ValidationError, match="business name"):
        check_mapping(["Partner ID", "Phone"], ["", "phone"], updating=True)


def test_refs_are_made_from_names_as_people_type_them() -> None:
    assert ref_from_name("Acme Networks Ltd") == "acme-networks-ltd"
    assert ref_from_name("Müller & Söhne GmbH") == "muller-sohne-gmbh"
    assert ref_from_name("株式会社") == ""


# --- mapping a job ---------------------------------------------------------------------------

COMPANY_SHEET = [
    ["Company Name", "Website", "Country"],
    ["Acme Networks Ltd", "acme-networks.example", "GB"],
    ["Globex GmbH", "globex gmbh.example", "DE"],
    ["Acme Networks Ltd", "acme-two.example", "FR"],
]


def test_a_sheet_in_other_words_waits_for_its_mapping_then_checks_with_it(
    manager: User,
) -> None:
    # given an uploaded sheet whose headers are not the import's names
    job = import_job_create(actor=manager, filename="crm.csv", content=csv_file(COMPANY_SHEET))

    # when the worker reads it
    job = checked(job)

    # then it waits for a person, with the headers and first values to map, and no
    # row was checked
    assert job.state == ImportState.MAPPING
    assert job.preview["headers"] == ["Company Name", "Website", "Country"]
    assert job.preview["samples"][0] == ["Acme Networks Ltd", "Globex GmbH", "Acme Networks Ltd"]
    assert (job.total_rows, job.processed_rows, job.error_count) == (3, 0, 0)
    with pytest.raises(ValidationError, match="cannot be run"):
        import_job_start(job=job)

    # when the suggested mapping is confirmed and the check runs
    job = import_job_map(job=job, mapping=["name", "domain", "country"])
    assert job.state == ImportState.UPLOADED
    job = checked(job)

    # then the rows were read with it, refs made from the names (the repeated name
    # numbered), and the bad domain reported by the service
    assert job.state == ImportState.VALIDATED
    assert job.mapping == ["name", "domain", "country"]
    assert job.preview["derived_refs"] is True
    assert job.preview["columns"] == ["ref", "name", "domain", "country"]
    assert [row["values"][0] for row in job.preview["rows"]] == [
        "acme-networks-ltd",
        "globex-gmbh",
        "acme-networks-ltd-2",
    ]
    errors = errors_by_row(job)
    assert list(errors) == [3]
    assert list(errors[3]) == ["domain"]
    assert "“globex gmbh.example” is not a valid domain" in errors[3]["domain"][0]
    assert job.created_count == 2

    # when it is imported
    job = imported(job)

    # then the partners have the refs made from their names
    assert job.state == ImportState.DONE
    assert set(Partner.objects.values_list("ref", "domain", "country")) == {
        ("acme-networks-ltd", "acme-networks.example", "GB"),
        ("acme-networks-ltd-2", "acme-two.example", "FR"),
    }


def test_a_made_ref_that_exists_is_reported_in_create_only_mode(manager: User) -> None:
    # given a partner whose ref is the one its name makes, and a sheet naming it again
    partner_create(actor=None, ref="acme-networks-ltd", name="Acme", channel_manager=manager)
    job = checked(
        import_job_create(actor=manager, filename="crm.csv", content=csv_file(COMPANY_SHEET[:2]))
    )

    # when it is mapped and checked in create-only mode
    job = checked(import_job_map(job=job, mapping=["name", "domain", "country"]))

    # then the row is reported, saying the ref was made from the name
    assert errors_by_row(job) == {
        2: {
            "ref": [
                "A partner with ref “acme-networks-ltd” (made from its name) already exists "
                "and this row changes it; to update it, import with “Create new partners and "
                "update existing refs”."
            ]
        }
    }


def test_a_checked_job_can_be_mapped_anew_and_its_results_start_over(manager: User) -> None:
    # given a checked job whose Country column was left out
    job = checked(
        import_job_create(actor=manager, filename="crm.csv", content=csv_file(COMPANY_SHEET))
    )
    job = checked(import_job_map(job=job, mapping=["name", "", ""]))
    assert (job.created_count, job.error_count) == (3, 0)

    # when it is mapped again with the website
    job = checked(import_job_map(job=job, mapping=["name", "domain", "country"]))

    # then the check ran again with the new mapping, its old counts gone
    assert (job.state, job.created_count, job.error_count) == (ImportState.VALIDATED, 2, 1)


def test_a_bad_mapping_changes_nothing(manager: User) -> None:
    # given a job waiting for its mapping
    job = checked(
        import_job_create(actor=manager, filename="crm.csv", content=csv_file(COMPANY_SHEET))
    )

    # when a mapping without the name is confirmed, then it is refused, and the job waits
    with pytest.raises(ValidationError, match="business name"):
        import_job_map(job=job, mapping=["", "domain", "country"])
    job.refresh_from_db()
    assert (job.state, job.mapping) == (ImportState.MAPPING, [])


# --- every error of a row at once -------------------------------------------------------------


def test_every_error_of_a_row_is_reported_in_one_check(manager: User) -> None:
    # given a row with a bad status (the serializer's check), a country that does not
    # exist and an unknown product (the services' checks)
    product_create(actor=None, sku="router-x1", name="Router X1")
    job = import_job_create(
        actor=manager,
        filename="bad.csv",
        content=csv_file(
            [
                ["ref", "name", "status", "country", "products"],
                ["bad-1", "Bad One", "actve", "XX", "router-x1;no-such-sku"],
            ]
        ),
    )

    # when it is checked
    job = checked(job)

    # then the status, the country and the product are all reported, nothing else
    errors = errors_by_row(job)[2]
    assert set(errors) == {"status", "country", "products"}
    assert "actve" in errors["status"][0]
    assert errors["products"] == ["Unknown product SKU: no-such-sku."]
    assert not Partner.objects.filter(ref="bad-1").exists()


def test_a_row_refused_by_type_and_by_the_services_writes_nothing_when_imported(
    manager: User,
) -> None:
    # given a checked file with a good row and a row with a bad country code and phone
    job = checked(
        import_job_create(
            actor=manager,
            filename="mixed.csv",
            content=csv_file(
                [
                    ["ref", "name", "country", "domain", "contact_email"],
                    ["good-1", "Good One", "GB", "good.example", "ann@good.example"],
                    ["bad-1", "Bad One", "GBR", "not a dns!!", "not-an-email"],
                ]
            ),
        )
    )
    assert set(errors_by_row(job)[3]) == {"country", "domain", "contact_email"}
    before = registry_counts()

    # when it is imported
    job = imported(job)

    # then the bad row is reported with all its errors again and wrote nothing
    assert set(errors_by_row(job)[3]) == {"country", "domain", "contact_email"}
    assert registry_counts()["partners"] == before["partners"] + 1
    assert not Partner.objects.filter(ref="bad-1").exists()


# --- re-importing what the export wrote ---------------------------------------------------------


@pytest.fixture
def registry(alpha: Any, manager: User) -> list[Partner]:
    """Partners with every kind of value the export writes: phones, an IDNA domain,
    products, tags, a tier, a manager, a status."""
    router = product_create(actor=None, sku="router-x1", name="Router X1")
    switch = product_create(actor=None, sku="switch-s2", name="Switch S2")
    gold = tier_create(actor=None, slug="gold", name="Gold", rank=1)
    partners = [
        partner_create(
            actor=None,
            ref=f"reseller-{number}",
            name=f"Reseller {number} Ltd",
            domain=f"bücher{number}.example",
            phone="020 7946 0958",
            contact_phone="+49 30 901820",
            country="GB",
            contact_name="Ann Example",
            contact_email="ann@example.com",
            city="Leeds",
            primary_dns="ns1.example.net",
            products=[router, switch],
            tags=["Gold", "emea"],
            tier=gold,
            channel_manager=manager,
        )
        for number in range(1, 4)
    ]
    partner_create(actor=None, ref="plain", name="=Plain Co", channel_manager=manager)
    return partners


def _export(client: TenantClient, file_format: str = "csv") -> bytes:
    response = client.get(reverse("partners:export"), {"format": file_format})
    assert response.status_code == 200
    return response.content


def test_an_unchanged_export_imported_again_previews_0_changes_and_writes_nothing(
    alpha_manager: TenantClient,
    registry: list[Partner],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
) -> None:
    # given the list's export, and a webhook subscriber of partner updates
    content = _export(alpha_manager)
    with in_tenant(tenant_a):
        Subscription.objects.create(
            url="https://127.0.0.1:9/p", events=["partner.updated"], secret="s"
        )
        before = registry_counts()
        deliveries = Delivery.objects.count()

        # when it is uploaded again to create and update partners, and checked
        job = checked(
            import_job_create(
                actor=alpha_manager.user,
                filename="partners.csv",
                content=content,
                mode=ImportMode.CREATE_OR_UPDATE,
            )
        )

        # then nothing would change: no row is new, changed or wrong
        assert job.state == ImportState.VALIDATED
        assert (job.created_count, job.updated_count, job.error_count) == (0, 0, 0)
        assert job.unchanged_count == Partner.objects.count() == 4
        assert not ImportJobChange.objects.filter(job=job).exists()

        # and there is nothing to run, and nothing was written
        with pytest.raises(ValidationError, match="Nothing to import"):
            import_job_start(job=job)
        assert registry_counts() == before
        assert Delivery.objects.count() == deliveries

    # and the page says so
    page = alpha_manager.get(reverse("partner_import:job", args=[job.public_id])).content.decode()
    assert "0 changes: 0 new partners, 0 partners changed, 4 already as the file has them." in page
    assert "Nothing to import" in page
    assert "Run the import" not in page


def test_an_unchanged_xlsx_export_previews_0_changes_too(
    alpha_manager: TenantClient,
    registry: list[Partner],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
) -> None:
    # given the export as a workbook
    content = _export(alpha_manager, "xlsx")

    # when it is checked in the upload form's default mode, create-only
    with in_tenant(tenant_a):
        job = checked(
            import_job_create(actor=alpha_manager.user, filename="partners.xlsx", content=content)
        )

    # then nothing would change, and no partner as the file has it is an error
    assert job.mode == ImportMode.CREATE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 4)
    assert job.error_count == 0


def test_an_edited_export_lists_the_partners_and_fields_that_change(
    alpha_manager: TenantClient,
    registry: list[Partner],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
) -> None:
    # given the export with one partner's phone written differently (the same number),
    # another's name and tags changed, and a subscriber of partner updates
    lines = list(csv.reader(io.StringIO(_export(alpha_manager).decode("utf-8-sig"))))
    header = lines[0]
    by_ref = {line[0]: line for line in lines[1:]}
    by_ref["reseller-1"][header.index("phone")] = "020 7946 0958"
    by_ref["reseller-2"][header.index("name")] = "Reseller Two Ltd"
    by_ref["reseller-2"][header.index("tags")] = "gold;emea;new"
    content = csv_file(lines)
    with in_tenant(tenant_a):
        Subscription.objects.create(
            url="https://127.0.0.1:9/p", events=["partner.updated"], secret="s"
        )
        history = Partner.history.count()
        deliveries = Delivery.objects.count()

        # when it is checked as an update
        job = checked(
            import_job_create(
                actor=alpha_manager.user,
                filename="edited.csv",
                content=content,
                mode=ImportMode.CREATE_OR_UPDATE,
            )
        )

        # then one partner would change, in those two fields, old and new
        assert (job.updated_count, job.unchanged_count, job.error_count) == (1, 3, 0)
        change = ImportJobChange.objects.get(job=job)
        assert change.ref == "reseller-2"
        assert change.changes == {
            "name": ["Reseller 2 Ltd", "Reseller Two Ltd"],
            "tags": ["emea, gold", "emea, gold, new"],
        }

    # and the page lists it
    page = alpha_manager.get(reverse("partner_import:job", args=[job.public_id])).content.decode()
    assert "1 change: 0 new partners, 1 partner changed, 3 already as the file has them." in page
    assert "Partners that would change" in page
    assert "<del>Reseller 2 Ltd</del>" in page
    assert "<ins>Reseller Two Ltd</ins>" in page

    # when it is imported
    with in_tenant(tenant_a):
        job = imported(job)

        # then only that partner was written: one history row and one webhook, naming
        # only the fields that changed
        assert (job.updated_count, job.unchanged_count) == (1, 3)
        assert Partner.history.count() == history + 1
        assert Delivery.objects.count() == deliveries + 1
        delivery = Delivery.objects.order_by("-id").first()
        assert delivery is not None
        assert delivery.payload["data"]["ref"] == "reseller-2"
        assert delivery.payload["data"]["fields"] == ["name", "tags"]
        partner = Partner.objects.get(ref="reseller-2")
        assert (partner.name, partner.tags) == ("Reseller Two Ltd", ["gold", "emea", "new"])


# --- through the pages --------------------------------------------------------------------------


def test_a_company_name_website_country_sheet_is_mapped_and_imported_through_the_pages(
    alpha_manager: TenantClient,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a sheet with a CRM's headers
    content = csv_file(COMPANY_SHEET[:3])

    def worker_runs(queued: list[Callable[[], Any]]) -> None:
        assert len(queued) == 1
        with in_tenant(tenant_a):
            queued[0]()

    # when a manager uploads it and the worker reads it
    with django_capture_on_commit_callbacks() as queued:
        response = alpha_manager.post(
            reverse("partner_import:start"),
            {"file": _named(content, "crm.csv"), "mode": ImportMode.CREATE},
        )
    assert response.status_code == 302
    worker_runs(queued)
    with in_tenant(tenant_a):
        job = ImportJob.objects.get()
    job_url = reverse("partner_import:job", args=[job.public_id])

    # then the job page shows each header with its suggested field and first values
    page = alpha_manager.get(job_url).content.decode()
    assert "Match the file's columns to partner fields" in page
    assert "Suggested: Business name" in page
    assert "Suggested: Website domain" in page
    assert '<option value="name" selected>Business name</option>' in page
    assert '<option value="domain" selected>Website domain</option>' in page
    assert '<option value="country" selected>Country</option>' in page
    assert "Acme Networks Ltd" in page
    assert 'hx-trigger="every 1s"' not in page

    # when the manager confirms a mapping without the name
    mapping_url = reverse("partner_import:mapping", args=[job.public_id])
    with django_capture_on_commit_callbacks() as queued:
        refused = alpha_manager.post(
            mapping_url, {"column_0": "", "column_1": "domain", "column_2": "country"}
        )

    # then the page says what is missing, and nothing was queued
    assert refused.status_code == 200
    assert "column that holds the business name" in refused.content.decode()
    assert queued == []

    # and a field that does not exist is refused on its column
    tampered = alpha_manager.post(
        mapping_url, {"column_0": "name", "column_1": "fax", "column_2": "country"}
    ).content.decode()
    assert 'id="id_column_1-errors"' in tampered
    assert "Select a valid choice. fax is not one of the available choices." in tampered

    # when the manager confirms the suggested mapping
    with django_capture_on_commit_callbacks() as queued:
        confirmed = alpha_manager.post(
            mapping_url, {"column_0": "name", "column_1": "domain", "column_2": "country"}
        )
    assert confirmed.status_code == 302
    worker_runs(queued)

    # then the check ran with it: the preview names the columns read and the refs made
    preview = alpha_manager.get(job_url).content.decode()
    assert "What the import would do" in preview
    assert "Company Name → Business name; Website → Website domain; Country → Country." in preview
    assert "each partner's ref is made from its name" in preview
    assert "acme-networks-ltd" in preview
    assert (
        '<td>3</td><td>globex-gmbh</td><td>Website <span class="small text-secondary">'
        "(Website domain)</span></td>"
    ) in preview
    assert "Run the import (1 row)" in preview
    assert "Change the column mapping" in preview

    # and the mapping page of the checked job offers the mapping it was checked with
    again = alpha_manager.get(mapping_url).content.decode()
    assert '<option value="name" selected>Business name</option>' in again
    assert '<option value="domain" selected>Website domain</option>' in again

    # when the manager runs it
    with django_capture_on_commit_callbacks() as queued:
        alpha_manager.post(reverse("partner_import:run", args=[job.public_id]))
    worker_runs(queued)

    # then the partner is in the registry
    report = alpha_manager.get(job_url).content.decode()
    assert "Importing 1 row of crm.csv." in report
    assert "1 partner created, 0 updated, 1 row failed." in report
    with in_tenant(tenant_a):
        partner = Partner.objects.get()
        assert (partner.ref, partner.name, partner.domain, partner.country) == (
            "acme-networks-ltd",
            "Acme Networks Ltd",
            "acme-networks.example",
            "GB",
        )


def test_the_mapping_page_of_a_running_job_sends_back_to_the_job(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a job being imported
    with in_tenant(tenant_a):
        job = ImportJob.objects.create(
            filename="p.csv", format="csv", content=b"ref,name\n", state=ImportState.IMPORTING
        )

    # when its mapping is posted, then the job page says it cannot be mapped now
    response = alpha_manager.post(
        reverse("partner_import:mapping", args=[job.public_id]), {"column_0": "ref"}, follow=True
    )
    assert "cannot be mapped now" in response.content.decode()
    with in_tenant(tenant_a):
        assert ImportJob.objects.get().state == ImportState.IMPORTING


def test_partner_users_cannot_map_an_import(
    alpha_partner: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a job waiting for its mapping
    with in_tenant(tenant_a):
        job = ImportJob.objects.create(
            filename="p.csv",
            format="csv",
            content=b"x",
            state=ImportState.MAPPING,
            preview={"headers": ["Company"], "samples": [["A"]]},
        )

    # when a partner user opens or posts it, then they are refused
    url = reverse("partner_import:mapping", args=[job.public_id])
    assert alpha_partner.get(url).status_code == 403
    assert alpha_partner.post(url, {"column_0": "name"}).status_code == 403
    with in_tenant(tenant_a):
        assert ImportJob.objects.get().state == ImportState.MAPPING
