"""The registry's browser pages: list (search, filters, sorting, pages, counts), export,
create and edit with inline errors, audit and status history, lifecycle, contacts,
reassignment, "my partners", DNS re-check, and that partner users are refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest

from partners import selectors
from partners.models import Contact, Partner, PartnerStatus, StatusChange, Tier
from partners.services import (
    contact_create,
    partner_transition,
    product_create,
    tier_create,
)
from prm.accounts.models import Role
from tests.conftest import TenantClient, make_user
from tests.partners.pages import listed_refs
from tests.url_walk import endpoints

InTenant = Callable[[Any], Any]


def text(response: Any) -> str:
    return response.content.decode()


def valid_form(**changes: Any) -> dict[str, Any]:
    """What the create form posts for a complete, valid partner (no channel manager:
    callers add theirs)."""
    data = {
        "name": "Northwind Traders",
        "ref": "northwind",
        "status": "prospect",
        "domain": "northwind.example",
        "phone": "+44 20 7946 0958",
        "contact_name": "Nancy Davolio",
        "contact_email": "nancy@northwind.example",
        "contact_phone": "",
        "street": "1 Market Street",
        "city": "London",
        "region": "",
        "postal_code": "EC1A 1BB",
        "country": "GB",
        "primary_dns": "ns1.northwind.example",
        "secondary_dns": "",
        "sla": "",
        "tier": "",
        "tags": "cloud, EMEA",
        "roles": "",
        "responsibilities": "",
        "benefits": "",
        "notes": "",
    }
    data.update(changes)
    return data


# --- list: search, filters, sorting, pages, counts ------------------------------------


def test_list_search_matches_name_ref_domain_and_contact(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given partners that differ in one searchable field each
    partner_in(tenant_a, ref="acme", name="Acme Corp")
    partner_in(tenant_a, ref="zeta-42", name="Zeta Systems")
    partner_in(tenant_a, ref="gamma", name="Gamma", domain="gamma-networks.example")
    partner_in(tenant_a, ref="delta", name="Delta", contact_name="Ingrid Holm")
    partner_in(tenant_a, ref="omega", name="Omega", contact_email="buyer@omega-mail.example")

    # when the list is searched for a piece of each
    found = {
        query: listed_refs(alpha_manager.get("/partners/", {"q": query}))
        for query in ("acme", "ZETA-4", "gamma-net", "holm", "omega-mail")
    }

    # then each search finds exactly its partner
    assert found == {
        "acme": ["acme"],
        "ZETA-4": ["zeta-42"],
        "gamma-net": ["gamma"],
        "holm": ["delta"],
        "omega-mail": ["omega"],
    }


def test_list_filters_by_status_tier_country_manager_and_product(
    alpha_manager: TenantClient,
    tenant_a: Any,
    in_tenant: InTenant,
    partner_in: Callable[..., Any],
) -> None:
    # given partners across statuses, tiers, countries, managers and products
    with in_tenant(tenant_a):
        gold = tier_create(actor=None, slug="gold", name="Gold")
        router = product_create(actor=None, sku="router-x1", name="Router X1")
    other_manager = make_user(tenant_a, Role.MANAGER, email="other.manager@example.com")
    partner_in(tenant_a, ref="p-active", name="A", status="active", country="DE", tier=gold)
    partner_in(tenant_a, ref="p-prospect", name="B", country="FR", products=[router])
    partner_in(tenant_a, ref="p-other", name="C", channel_manager=other_manager, country="DE")

    def refs(**params: Any) -> set[str]:
        return set(listed_refs(alpha_manager.get("/partners/", params)))

    # when / then each filter keeps only its partners
    assert refs(status="active") == {"p-active"}
    assert refs(status=["active", "prospect"]) == {"p-active", "p-prospect", "p-other"}
    assert refs(tier="gold") == {"p-active"}
    assert refs(country="DE") == {"p-active", "p-other"}
    assert refs(channel_manager="other.manager@example.com") == {"p-other"}
    assert refs(product="router-x1") == {"p-prospect"}
    # and filters combine
    assert refs(country="DE", status="prospect") == {"p-other"}


def test_list_sorts_by_the_chosen_column_both_ways(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given partners whose names and countries sort differently
    partner_in(tenant_a, ref="s-1", name="Bravo", country="US")
    partner_in(tenant_a, ref="s-2", name="Alpha", country="SE")
    partner_in(tenant_a, ref="s-3", name="Charlie", country="AT")

    # when the list is sorted by name, by name descending and by country
    by_name = listed_refs(alpha_manager.get("/partners/", {"sort": "name"}))
    by_name_desc = listed_refs(alpha_manager.get("/partners/", {"sort": "-name"}))
    by_country = alpha_manager.get("/partners/", {"sort": "country"})

    # then the rows come in that order, and the header says how the list is sorted
    assert by_name == ["s-2", "s-1", "s-3"]
    assert by_name_desc == ["s-3", "s-1", "s-2"]
    assert listed_refs(by_country) == ["s-3", "s-2", "s-1"]
    assert re.search(r'aria-sort="ascending"[^>]*><a href="[^"]*sort=-country', text(by_country))


def test_list_pages_and_counts_follow_the_filters(
    alpha_manager: TenantClient,
    tenant_a: Any,
    in_tenant: InTenant,
    partner_in: Callable[..., Any],
) -> None:
    # given 27 prospects and 3 active partners
    manager = make_user(tenant_a, Role.MANAGER)
    for number in range(27):
        partner_in(
            tenant_a, ref=f"page-{number:02}", name=f"Paged {number:02}", channel_manager=manager
        )
    for number in range(3):
        partner_in(
            tenant_a,
            ref=f"live-{number}",
            name=f"Live {number}",
            status="active",
            channel_manager=manager,
        )

    # when the first and second page of the prospects are asked for
    first = alpha_manager.get("/partners/", {"status": "prospect"})
    second = alpha_manager.get("/partners/", {"status": "prospect", "page": "2"})

    # then 25 rows, then the remaining 2, with the totals and status counts shown
    assert len(listed_refs(first)) == 25
    assert listed_refs(second) == ["page-25", "page-26"]
    assert "Showing 1\u201325 of 27 partners" in text(first)
    assert "Showing 26\u201327 of 27 partners" in text(second)
    assert re.search(r"Prospect <span[^>]*>27</span>", text(first))
    assert re.search(r"Active <span[^>]*>3</span>", text(first))
    assert re.search(r"All <span[^>]*>30</span>", text(first))
    # and the page links keep the filter
    assert 'href="?status=prospect&amp;page=2"' in text(first)


def test_list_reads_a_fixed_number_of_queries_whatever_the_rows(
    alpha_manager: TenantClient,
    tenant_a: Any,
    partner_in: Callable[..., Any],
    in_tenant: InTenant,
    django_assert_max_num_queries: Any,
) -> None:
    # given 20 partners with tiers and products
    with in_tenant(tenant_a):
        tier = tier_create(actor=None, slug="silver", name="Silver")
        product = product_create(actor=None, sku="switch-24", name="Switch 24")
    for number in range(20):
        partner_in(tenant_a, ref=f"q-{number}", name=f"Q {number}", tier=tier, products=[product])

    # when the list is shown, then its queries do not grow with the rows shown
    with django_assert_max_num_queries(25):
        response = alpha_manager.get("/partners/")
    assert len(listed_refs(response)) == 20


# --- create and edit ------------------------------------------------------------------


def test_create_with_a_bad_phone_shows_the_error_inline_and_saves_nothing(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a complete form whose main telephone is not a phone number
    data = valid_form(phone="call me maybe", channel_manager=alpha_manager.user.email)

    # when it is posted
    response = alpha_manager.post("/partners/new/", data)

    # then the form comes back with the service's message under the phone field
    assert response.status_code == 200
    body = text(response)
    errors = re.search(r'id="id_phone-errors">(.*?)</div></div>', body, re.S)
    assert errors is not None
    assert "is not a phone number" in errors.group(1)
    assert 'name="phone" id="id_phone" class="form-control is-invalid"' in body
    assert "Nothing was saved." in body
    # and what was typed is kept
    assert 'value="Northwind Traders"' in body
    # and nothing was saved
    with in_tenant(tenant_a):
        assert not Partner.objects.filter(ref="northwind").exists()


def test_create_a_valid_partner_then_it_is_on_the_list(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product and a tier to choose from
    with in_tenant(tenant_a):
        product_create(actor=None, sku="fw-200", name="Firewall 200")
        tier_create(actor=None, slug="gold", name="Gold")
    data = valid_form(channel_manager=alpha_manager.user.email, products=["fw-200"], tier="gold")

    # when the create form is posted
    response = alpha_manager.post("/partners/new/", data)

    # then the browser goes to the new partner's page
    assert response.status_code == 302
    assert response["Location"] == "/partners/northwind/"
    # and the partner is saved as the service normalises it
    with in_tenant(tenant_a):
        partner = Partner.objects.get(ref="northwind")
        assert str(partner.phone) == "+442079460958"
        assert partner.tags == ["cloud", "emea"]
        assert [product.sku for product in partner.products.all()] == ["fw-200"]
        assert partner.tier is not None
        assert partner.tier.slug == "gold"
        assert partner.sla.is_default
        assert partner.channel_manager == alpha_manager.user
    # and it is on the list
    assert listed_refs(alpha_manager.get("/partners/")) == ["northwind"]


def test_create_form_proposes_the_signed_in_manager_and_the_default_sla(
    alpha_manager: TenantClient,
) -> None:
    # when the create form is opened
    body = text(alpha_manager.get("/partners/new/"))

    # then the channel manager is the user, and the default policy is chosen
    assert re.search(rf'<option value="{re.escape(alpha_manager.user.email)}" selected>', body)
    assert re.search(r'<option value="[^"]+" selected>[^<]*\(default\)</option>', body)


def test_edit_then_the_audit_history_shows_who_changed_which_fields(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner
    partner = partner_in(
        tenant_a,
        ref="contoso",
        name="Contoso",
        city="Oslo",
        channel_manager=alpha_manager.user,
    )
    with in_tenant(tenant_a):
        from partners.forms import initial_from

        data = initial_from(Partner.objects.get(pk=partner.pk))

    # when the manager renames it and moves it to another city through the edit form
    data.update(name="Contoso Nordic", city="Bergen", phone="+47 22 12 34 56")
    response = alpha_manager.post("/partners/contoso/edit/", data)
    assert response.status_code == 302

    # then the detail page's audit history shows the manager and each changed field
    body = text(alpha_manager.get("/partners/contoso/"))
    audit = body.split('id="audit"')[1]
    first_entry = audit.split("</li>")[0]
    assert alpha_manager.user.full_name in first_entry
    assert "partner changed" in first_entry
    assert re.search(
        r"Business name</th>.*?Contoso</del>.*?Contoso Nordic</ins>", first_entry, re.S
    )
    assert re.search(r"City</th>.*?Oslo</del>.*?Bergen</ins>", first_entry, re.S)
    assert re.search(
        r"Main telephone</th>.*?\(empty\)</del>.*?\+4722123456</ins>", first_entry, re.S
    )
    # and fields that did not change are not listed
    assert "Postal code" not in first_entry


def test_edit_with_a_taken_domain_keeps_the_saved_partner(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given two partners, one of which has the domain the other wants
    partner_in(tenant_a, ref="first", name="First", domain="taken.example")
    partner = partner_in(tenant_a, ref="second", name="Second")
    with in_tenant(tenant_a):
        from partners.forms import initial_from

        data = initial_from(partner)

    # when the second is given the first one's domain and a new name
    data.update(domain="taken.example", name="Renamed")
    response = alpha_manager.post("/partners/second/edit/", data)

    # then the form says why, and nothing of the edit is saved
    assert response.status_code == 200
    assert "Another partner already has this domain." in text(response)
    with in_tenant(tenant_a):
        saved = Partner.objects.get(ref="second")
        assert (saved.name, saved.domain) == ("Second", "")


# --- detail ---------------------------------------------------------------------------


def test_detail_shows_fields_manager_sla_dns_and_recent_metrics(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner with a domain, DNS, contact details and a contact
    partner = partner_in(
        tenant_a,
        ref="fabrikam",
        name="Fabrikam",
        domain="bücher.example",
        primary_dns="ns1.fabrikam.example",
        contact_name="Jo Park",
        phone="+1 201 555 0123",
        country="US",
        channel_manager=alpha_manager.user,
    )
    with in_tenant(tenant_a):
        contact_create(partner=partner, actor=None, name="Sam Sales", role="sales")

    # when its page is opened
    body = text(alpha_manager.get("/partners/fabrikam/"))

    # then it shows the fields, the contact, the single point of contact, the SLA,
    # the DNS panel and a metrics card without made-up numbers
    assert "bücher.example" in body
    assert "xn--bcher-kva.example" in body
    assert "+1 201-555-0123" in body
    assert "ns1.fabrikam.example" in body
    assert "Sam Sales" in body
    assert "single point of contact" in body
    assert alpha_manager.user.email in body
    assert "Service level agreement" in body
    assert 'id="sla"' in body
    assert 'id="dns"' in body
    assert "Not checked yet" in body
    assert "Last 30 days" in body
    assert "Won orders" in body
    assert "created in the registry" not in body  # created by the factory, not the form
    first_status = body.split('id="status-history"')[1].split("</li>")[0]
    assert 'prm-status-by">system</strong>' in first_status
    assert 'prm-status-reason">created</div>' in first_status


def test_unknown_partner_is_not_found(alpha_manager: TenantClient) -> None:
    # when a page of a partner that does not exist is asked for, then 404
    assert alpha_manager.get("/partners/nobody/").status_code == 404
    assert alpha_manager.get("/partners/nobody/edit/").status_code == 404


# --- lifecycle ------------------------------------------------------------------------


def test_status_form_offers_only_the_allowed_moves(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a prospect
    partner_in(tenant_a, ref="lead", name="Lead")

    # when the status form is opened
    body = text(alpha_manager.get("/partners/lead/status/"))

    # then it offers onboarding, suspended and terminated, nothing else
    offered = re.findall(r'type="radio" name="status" id="status-(\w+)"', body)
    assert offered == ["onboarding", "suspended", "terminated"]


def test_an_allowed_status_change_is_recorded_with_its_reason(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a prospect
    partner_in(tenant_a, ref="lead", name="Lead")

    # when it is moved to onboarding with a reason
    response = alpha_manager.post(
        "/partners/lead/status/", {"status": "onboarding", "reason": "Signed the NDA"}
    )

    # then it is onboarding, and the status history on its page shows who, and why
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert Partner.objects.get(ref="lead").status == PartnerStatus.ONBOARDING
    body = text(alpha_manager.get("/partners/lead/"))
    history = body.split('id="status-history"')[1].split("</section>")[0]
    newest = history.split("</li>")[0]
    assert re.search(r"Prospect</span> <i[^>]*></i> <span[^>]*>Onboarding</span>", newest)
    assert f'prm-status-by">{alpha_manager.user.full_name}</strong>' in newest
    assert 'prm-status-reason">Signed the NDA</div>' in newest


def test_a_refused_status_change_says_why_and_changes_nothing(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a prospect (which cannot become active in one step)
    partner_in(tenant_a, ref="lead", name="Lead")

    # when "active" is posted anyway (a stale or hand-made form)
    response = alpha_manager.post("/partners/lead/status/", {"status": "active", "reason": "x"})

    # then the lifecycle rule is shown on the form, and nothing changed
    assert response.status_code == 200
    assert "A prospect partner can only become onboarding, suspended, terminated." in text(response)
    with in_tenant(tenant_a):
        assert Partner.objects.get(ref="lead").status == PartnerStatus.PROSPECT
        assert StatusChange.objects.filter(partner__ref="lead").count() == 1


def test_a_status_change_needs_a_reason(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a prospect
    partner_in(tenant_a, ref="lead", name="Lead")

    # when a move is posted without a reason
    response = alpha_manager.post("/partners/lead/status/", {"status": "onboarding"})

    # then the reason is asked for and the status stays
    assert response.status_code == 200
    assert 'id="id_reason-errors"' in text(response)
    with in_tenant(tenant_a):
        assert Partner.objects.get(ref="lead").status == PartnerStatus.PROSPECT


def test_terminate_keeps_the_partner_and_its_history(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given an active partner
    partner_in(tenant_a, ref="ending", name="Ending", status="active")

    # when it is terminated with a reason
    response = alpha_manager.post("/partners/ending/terminate/", {"reason": "Contract ended"})

    # then it is still in the registry, terminated, with the reason recorded
    assert response.status_code == 302
    with in_tenant(tenant_a):
        partner = Partner.objects.get(ref="ending")
        assert partner.status == PartnerStatus.TERMINATED
        assert partner.status_changes.first().reason == "Contract ended"  # type: ignore[union-attr]
    body = text(alpha_manager.get("/partners/ending/"))
    assert "This partnership is terminated." in body
    # and no further move is offered
    assert "/partners/ending/status/" not in body
    assert "A terminated partner cannot change status." in text(
        alpha_manager.get("/partners/ending/status/")
    )


def test_terminating_twice_is_refused(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a terminated partner
    partner = partner_in(tenant_a, ref="gone", name="Gone")
    with in_tenant(tenant_a):
        partner_transition(partner=partner, to_status="terminated", actor=None, reason="first")

    # when termination is posted again
    response = alpha_manager.post("/partners/gone/terminate/", {"reason": "again"})

    # then it is refused, and the history has one termination
    assert response.status_code == 200
    with in_tenant(tenant_a):
        assert StatusChange.objects.filter(partner__ref="gone", to_status="terminated").count() == 1


# --- contacts -------------------------------------------------------------------------


def test_contacts_are_added_edited_and_removed_from_the_partner_page(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner in Germany
    partner_in(tenant_a, ref="kontor", name="Kontor", country="DE")

    # when a contact is added with a local phone number
    added = alpha_manager.post(
        "/partners/kontor/contacts/new/",
        {"name": "Erika Muster", "role": "technical", "phone": "030 901820", "email": ""},
    )

    # then it is saved with the number in E.164, and shown on the page
    assert added.status_code == 302
    with in_tenant(tenant_a):
        contact = Contact.objects.get(partner__ref="kontor")
        assert (contact.name, contact.role, str(contact.phone)) == (
            "Erika Muster",
            "technical",
            "+4930901820",
        )
    assert "Erika Muster" in text(alpha_manager.get("/partners/kontor/"))

    # when it is edited with a bad e-mail, then the error is inline and nothing changes
    refused = alpha_manager.post(
        f"/partners/kontor/contacts/{contact.pk}/edit/",
        {"name": "Erika Mustermann", "role": "technical", "email": "not-an-address"},
    )
    assert refused.status_code == 200
    assert 'id="id_email-errors"' in text(refused)
    with in_tenant(tenant_a):
        assert Contact.objects.get(pk=contact.pk).name == "Erika Muster"

    # when it is edited properly, then the change is saved
    edited = alpha_manager.post(
        f"/partners/kontor/contacts/{contact.pk}/edit/",
        {"name": "Erika Mustermann", "role": "sales", "email": "erika@kontor.example"},
    )
    assert edited.status_code == 302
    with in_tenant(tenant_a):
        assert Contact.objects.get(pk=contact.pk).email == "erika@kontor.example"

    # when it is removed, then it is gone, and the audit history keeps the removal
    removed = alpha_manager.post(f"/partners/kontor/contacts/{contact.pk}/delete/")
    assert removed.status_code == 302
    with in_tenant(tenant_a):
        assert not Contact.objects.filter(pk=contact.pk).exists()
    audit = text(alpha_manager.get("/partners/kontor/")).split('id="audit"')[1]
    assert "contact deleted" in audit


def test_a_contact_is_reached_only_through_its_own_partner(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given two partners, one with a contact
    owner = partner_in(tenant_a, ref="owner", name="Owner")
    partner_in(tenant_a, ref="stranger", name="Stranger")
    with in_tenant(tenant_a):
        contact = contact_create(partner=owner, actor=None, name="Only Mine")

    # when the contact is asked for under the other partner, then it is not found
    assert alpha_manager.get(f"/partners/stranger/contacts/{contact.pk}/edit/").status_code == 404
    assert (
        alpha_manager.post(f"/partners/stranger/contacts/{contact.pk}/delete/").status_code == 404
    )
    with in_tenant(tenant_a):
        assert Contact.objects.filter(pk=contact.pk).exists()


# --- single point of contact: reassignment and "my partners" -----------------------------


def test_ticked_partners_are_reassigned_in_bulk(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given three partners of one manager and another manager
    old = make_user(tenant_a, Role.MANAGER, email="leaving@example.com")
    new = make_user(tenant_a, Role.MANAGER, email="taking.over@example.com")
    for ref in ("r-1", "r-2", "r-3"):
        partner_in(tenant_a, ref=ref, name=ref.upper(), channel_manager=old)

    # when two of them are ticked on the list and reassigned
    response = alpha_admin.post(
        "/partners/reassign/",
        {"partners": ["r-1", "r-3"], "to_manager": new.email, "next": "/partners/?q=r-"},
    )

    # then the browser is back on the list, and exactly those two changed manager
    assert response.status_code == 302
    assert response["Location"] == "/partners/?q=r-"
    with in_tenant(tenant_a):
        managers = dict(Partner.objects.values_list("ref", "channel_manager__email"))
    assert managers == {
        "r-1": "taking.over@example.com",
        "r-2": "leaving@example.com",
        "r-3": "taking.over@example.com",
    }
    assert "2 partners moved to" in text(alpha_admin.get("/partners/"))
    # and the partner's audit history names the old and the new manager
    audit = text(alpha_admin.get("/partners/r-1/")).split('id="audit"')[1].split("</li>")[0]
    assert re.search(
        rf"Channel manager</th>.*?{re.escape(str(old))}</del>.*?{re.escape(str(new))}</ins>",
        audit,
        re.S,
    )


def test_a_whole_portfolio_moves_to_another_manager(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given two managers with partners
    old = make_user(tenant_a, Role.MANAGER, email="old@example.com")
    keep = make_user(tenant_a, Role.MANAGER, email="keep@example.com")
    partner_in(tenant_a, ref="o-1", name="O1", channel_manager=old)
    partner_in(tenant_a, ref="o-2", name="O2", channel_manager=old)
    partner_in(tenant_a, ref="k-1", name="K1", channel_manager=keep)

    # when the portfolio of the first moves to the signed-in manager
    response = alpha_manager.post(
        "/partners/reassign/",
        {"from_manager": "old@example.com", "to_manager": alpha_manager.user.email},
    )

    # then the first manager's partners, and only those, are the signed-in manager's now
    assert response.status_code == 302
    with in_tenant(tenant_a):
        mine = set(
            Partner.objects.filter(channel_manager=alpha_manager.user).values_list("ref", flat=True)
        )
    assert mine == {"o-1", "o-2"}


def test_reassigning_without_a_target_or_to_the_same_manager_is_refused(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner of the signed-in manager
    partner_in(tenant_a, ref="stay", name="Stay", channel_manager=alpha_manager.user)
    me = alpha_manager.user.email

    # when the portfolio page is posted to the same manager, or without a target
    same = alpha_manager.post("/partners/reassign/", {"from_manager": me, "to_manager": me})
    none = alpha_manager.post("/partners/reassign/", {"partners": ["stay"], "next": "/partners/"})

    # then the form says what is wrong, and nothing changed
    assert same.status_code == 200
    assert "Choose a different manager than the current one." in text(same)
    assert none.status_code == 302
    assert "This field is required." in text(alpha_manager.get("/partners/"))
    with in_tenant(tenant_a):
        assert Partner.objects.get(ref="stay").channel_manager == alpha_manager.user


def test_my_partners_lists_only_the_partners_the_user_manages(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given partners of the signed-in manager and of someone else
    partner_in(tenant_a, ref="mine-1", name="Mine 1", channel_manager=alpha_manager.user)
    partner_in(tenant_a, ref="mine-2", name="Mine 2", channel_manager=alpha_manager.user)
    partner_in(tenant_a, ref="theirs", name="Theirs")

    # when "my partners" is opened
    response = alpha_manager.get("/partners/mine/")

    # then only the user's partners are listed, and the export link keeps to them
    assert listed_refs(response) == ["mine-1", "mine-2"]
    assert "My partners" in text(response)
    export = re.search(r'href="(/partners/export/\?[^"]*format=csv[^"]*)"', text(response))
    assert export is not None
    csv_body = alpha_manager.get(export.group(1).replace("&amp;", "&")).content.decode()
    assert [row["ref"] for row in csv.DictReader(io.StringIO(csv_body))] == ["mine-1", "mine-2"]


# --- export ---------------------------------------------------------------------------


@pytest.fixture
def export_partners(tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]) -> None:
    with in_tenant(tenant_a):
        router = product_create(actor=None, sku="router-x1", name="Router X1")
        switch = product_create(actor=None, sku="switch-24", name="Switch 24")
    manager = make_user(tenant_a, Role.MANAGER, email="exporter@example.com")
    partner_in(
        tenant_a,
        ref="exp-de",
        name="=Formula GmbH",
        country="DE",
        phone="+49 30 901820",
        products=[switch, router],
        tags=["cloud", "emea"],
        channel_manager=manager,
        status="active",
    )
    partner_in(tenant_a, ref="exp-fr", name="Paris SARL", country="FR", channel_manager=manager)


def test_export_csv_has_the_api_columns_and_only_the_filtered_rows(
    alpha_manager: TenantClient, export_partners: None
) -> None:
    # when the list filtered to Germany is exported as CSV
    response = alpha_manager.get("/partners/export/", {"country": "DE", "format": "csv"})

    # then it is a CSV download with the API's column names and the German partner only
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0].keys()) == [
        "ref", "name", "domain", "phone", "contact_name", "contact_email", "contact_phone",
        "street", "city", "region", "postal_code", "country", "primary_dns", "secondary_dns",
        "products", "sla", "channel_manager", "tier", "status", "tags",
    ]  # fmt: skip
    assert len(rows) == 1
    row = rows[0]
    assert row["ref"] == "exp-de"
    assert row["phone"] == "+4930901820"
    assert row["products"] == "router-x1;switch-24"
    assert row["tags"] == "cloud;emea"
    assert row["channel_manager"] == "exporter@example.com"
    assert row["status"] == "active"
    # and a name that would run as a spreadsheet formula is neutralised
    assert row["name"] == "'=Formula GmbH"


def test_export_xlsx_contains_the_filtered_rows(
    alpha_manager: TenantClient, export_partners: None
) -> None:
    # when the list filtered to prospects is exported as XLSX
    response = alpha_manager.get("/partners/export/", {"status": "prospect", "format": "xlsx"})

    # then the workbook has the header row and the French prospect only
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["ref", "name", "domain"]
    assert [row[0] for row in rows[1:]] == ["exp-fr"]
    assert rows[1][11] == "FR"


def test_export_in_an_unknown_format_is_refused(alpha_manager: TenantClient) -> None:
    # when the export is asked for as PDF, then it says which formats exist
    response = alpha_manager.get("/partners/export/", {"format": "pdf"})
    assert response.status_code == 400
    assert b"format=csv or format=xlsx" in response.content


# --- DNS ------------------------------------------------------------------------------


@pytest.fixture
def silent_resolver(settings: Any) -> None:
    # Nothing listens on the discard port: the lookup gives up after its lifetime.
    settings.PRM_DNS_NAMESERVERS = ["127.0.0.1:9"]
    settings.PRM_DNS_LIFETIME = 0.5


def test_dns_recheck_through_htmx_stores_the_outcome_and_returns_the_panel(
    alpha_manager: TenantClient,
    tenant_a: Any,
    in_tenant: InTenant,
    partner_in: Callable[..., Any],
    silent_resolver: None,
) -> None:
    # given a partner with a domain, never checked
    partner_in(tenant_a, ref="dnsy", name="DNSy", domain="dnsy.example")

    # when the Re-check button is pressed (htmx)
    response = alpha_manager.post("/partners/dnsy/dns/check/", HTTP_HX_REQUEST="true")

    # then only the DNS panel comes back, showing the stored outcome
    assert response.status_code == 200
    body = text(response)
    assert '<section class="card mb-4" id="dns"' in body
    assert "<html" not in body
    assert "DNS did not answer in time" in body
    with in_tenant(tenant_a):
        partner = Partner.objects.get(ref="dnsy")
        assert partner.dns_status == "timeout"
        assert partner.dns_checked_at is not None


def test_dns_recheck_without_javascript_returns_to_the_partner_page(
    alpha_manager: TenantClient,
    tenant_a: Any,
    partner_in: Callable[..., Any],
    silent_resolver: None,
) -> None:
    # given a partner with a domain
    partner_in(tenant_a, ref="dnsy", name="DNSy", domain="dnsy.example")

    # when the Re-check form is posted without htmx
    response = alpha_manager.post("/partners/dnsy/dns/check/")

    # then the browser goes back to the DNS panel of the partner page, which says it
    assert response.status_code == 302
    assert response["Location"] == "/partners/dnsy/#dns"
    assert "DNS checked: dns did not answer in time." in text(alpha_manager.get("/partners/dnsy/"))


def test_dns_check_and_detect_of_a_partner_without_domain_explain_why_not(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a partner without a domain
    partner_in(tenant_a, ref="nodomain", name="No Domain")

    # when re-check (htmx) and detect are pressed
    check = alpha_manager.post("/partners/nodomain/dns/check/", HTTP_HX_REQUEST="true")
    alpha_manager.post("/partners/nodomain/dns/detect/")

    # then both say that a domain is needed
    assert "has no domain to check" in text(check)
    assert "has no domain to check" in text(alpha_manager.get("/partners/nodomain/"))


def test_dns_actions_only_answer_post(
    alpha_manager: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    partner_in(tenant_a, ref="dnsy", name="DNSy", domain="dnsy.example")
    assert alpha_manager.get("/partners/dnsy/dns/check/").status_code == 405
    assert alpha_manager.get("/partners/dnsy/dns/detect/").status_code == 405


# --- who may use these pages ----------------------------------------------------------


def partner_pages(ref: str, contact_id: int) -> list[str]:
    """Every URL of partners/urls.py, taken from the resolver (new pages are included
    the day they are added)."""
    samples = {"ref": ref, "contact_id": contact_id, "slug": "gold", "sku": "router-x1"}
    return ["/partners" + endpoint.path for endpoint in endpoints(samples, "partners.urls")]


def test_partner_users_are_refused_on_every_registry_page(
    alpha_partner: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a partner user, whose own partner has a contact
    with in_tenant(tenant_a):
        own = selectors.partner_for_portal_user(user=alpha_partner.user)
        assert own is not None
        contact = contact_create(partner=own, actor=None, name="Own Contact")
        tier_create(actor=None, slug="gold", name="Gold")
        product_create(actor=None, sku="router-x1", name="Router X1")
    pages = partner_pages(own.ref, contact.pk)
    assert len(pages) >= 18

    # when it asks for every registry page, its own partner's included
    answers = {
        (method, page): getattr(alpha_partner, method)(page).status_code
        for page in pages
        for method in ("get", "post")
    }

    # then every answer is 403, and nothing changed
    assert set(answers.values()) == {403}, answers
    with in_tenant(tenant_a):
        assert Contact.objects.filter(pk=contact.pk).exists()
        assert Partner.objects.get(pk=own.pk).status == PartnerStatus.PROSPECT
        assert Tier.objects.filter(slug="gold").exists()
        assert selectors.product_list().filter(sku="router-x1", is_active=True).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client_a: TenantClient) -> None:
    # when someone not signed in opens the list, then the login page is asked for
    response = client_a.get("/partners/?q=x")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/partners/")


def test_the_list_links_to_the_import_when_it_exists(alpha_admin: TenantClient) -> None:
    # when the list is opened, then it shows the import button only if the import
    # flow is mounted (another part of the app), and never fails without it
    from django.urls import NoReverseMatch, reverse

    body = text(alpha_admin.get("/partners/"))
    try:
        import_url = reverse("partner_import:start")
    except NoReverseMatch:
        assert "bi-upload" not in body
    else:
        assert f'href="{import_url}"' in body


def test_a_partner_cannot_be_renamed_to_a_page_name(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner
    partner = partner_in(tenant_a, ref="plain", name="Plain")
    with in_tenant(tenant_a):
        from partners.forms import initial_from

        data = initial_from(partner)

    # when its ref is changed to "export" (the export page's address)
    data.update(ref="export")
    response = alpha_manager.post("/partners/plain/edit/", data)

    # then the form refuses it, and the ref stays
    assert response.status_code == 200
    assert "is a page name here; choose another ref." in text(response)
    with in_tenant(tenant_a):
        assert Partner.objects.filter(ref="plain").exists()


def test_renaming_the_ref_leads_to_the_new_address(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a partner
    partner = partner_in(tenant_a, ref="old-ref", name="Renamed", phone="+44 20 7946 0958")
    with in_tenant(tenant_a):
        from partners.forms import initial_from

        data = initial_from(partner)

    # when its ref is changed (the phone is posted back as the form shows it)
    assert data["phone"] == "+44 20 7946 0958"
    data.update(ref="new-ref")
    response = alpha_manager.post("/partners/old-ref/edit/", data)

    # then the browser goes to the partner's new address, and the phone is unchanged
    assert response["Location"] == "/partners/new-ref/"
    assert alpha_manager.get("/partners/old-ref/").status_code == 404
    with in_tenant(tenant_a):
        assert str(Partner.objects.get(ref="new-ref").phone) == "+442079460958"


# --- tiers --------------------------------------------------------------------------------


def test_an_administrator_creates_a_tier_and_changes_its_terms(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # when the administrator creates a tier from the form
    form = alpha_admin.get("/partners/tiers/new/")
    assert form.status_code == 200
    created = alpha_admin.post(
        "/partners/tiers/new/",
        {"slug": "gold", "name": "Gold", "rank": 2, "benefits": "**30%** margin"},
        follow=True,
    )

    # then it is listed with its terms rendered, and the list says so
    assert created.redirect_chain[-1][0] == "/partners/tiers/"
    body = text(created)
    assert "The tier “Gold” is created." in body
    assert "<strong>30%</strong> margin" in body
    assert 'id="tier-gold"' in body

    # when its benefits are changed
    alpha_admin.post(
        "/partners/tiers/gold/edit/",
        {"slug": "gold", "name": "Gold", "rank": 2, "benefits": "40% margin"},
    )

    # then the tier has them, and its history says who
    with in_tenant(tenant_a):
        tier = Tier.objects.get(slug="gold")
        assert tier.benefits == "40% margin"
        assert tier.history.first().history_user == alpha_admin.user


def test_a_bad_tier_is_refused_inline_and_changes_nothing(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a tier "gold"
    with in_tenant(tenant_a):
        tier_create(actor=None, slug="gold", name="Gold")

    # when another is created with the same slug, and one without a name
    taken = alpha_admin.post("/partners/tiers/new/", {"slug": "gold", "name": "Gilt", "rank": 0})
    nameless = alpha_admin.post("/partners/tiers/new/", {"slug": "silver", "name": "", "rank": 0})

    # then each form names its field, and there is still one tier
    assert (taken.status_code, nameless.status_code) == (200, 200)
    assert list(taken.context["form"].errors) == ["slug"]
    assert "already exists" in taken.context["form"].errors["slug"][0]
    assert list(nameless.context["form"].errors) == ["name"]
    assert "Nothing was saved." in text(taken)
    with in_tenant(tenant_a):
        assert list(Tier.objects.values_list("slug", flat=True)) == ["gold"]


def test_a_tier_partners_still_have_is_not_deleted(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Callable[..., Any]
) -> None:
    # given a tier with a partner, and one without
    with in_tenant(tenant_a):
        tier_create(actor=None, slug="gold", name="Gold")
        tier_create(actor=None, slug="unused", name="Unused")
    partner_in(tenant_a, ref="acme", tier="gold")

    # when both are deleted
    used = alpha_admin.post("/partners/tiers/gold/delete/", follow=True)
    unused = alpha_admin.post("/partners/tiers/unused/delete/", follow=True)

    # then the used one stays, with the reason, and the other goes
    assert "1 partner has the tier “Gold”; move them to another tier first." in text(used)
    assert "The tier “Unused” is deleted." in text(unused)
    with in_tenant(tenant_a):
        assert list(Tier.objects.values_list("slug", flat=True)) == ["gold"]


def test_managers_read_the_tiers_but_cannot_change_them(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a tier
    with in_tenant(tenant_a):
        tier_create(actor=None, slug="gold", name="Gold", roles="Resell")

    # when a manager opens the tiers, then they are listed without edit buttons
    listing = alpha_manager.get("/partners/tiers/")
    assert listing.status_code == 200
    assert "Resell" in text(listing)
    assert "/partners/tiers/new/" not in text(listing)
    assert "/partners/tiers/gold/edit/" not in text(listing)

    # and the forms and the delete answer 403, and the tier stays as it was
    assert alpha_manager.get("/partners/tiers/new/").status_code == 403
    assert alpha_manager.get("/partners/tiers/gold/edit/").status_code == 403
    assert alpha_manager.post("/partners/tiers/gold/delete/").status_code == 403
    with in_tenant(tenant_a):
        assert Tier.objects.get(slug="gold").roles == "Resell"


def test_tiers_is_a_page_name_no_partner_may_take(alpha_manager: TenantClient) -> None:
    data = valid_form(ref="tiers", channel_manager=alpha_manager.user.email)

    # when a partner is created with the ref "tiers" (the tier pages' address)
    response = alpha_manager.post("/partners/new/", data)

    # then it is refused
    assert response.status_code == 200
    assert "is a page name here; choose another ref." in text(response)
