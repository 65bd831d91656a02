"""The registry's API: /api/v1/partners/ (by ref) with its contacts, /api/v1/products/
(by sku) and /api/v1/tiers/ (by slug), every answer and every error in the one JSON
error shape {"status", "code", "message", "errors"}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from partners.models import Contact, Partner, Product, StatusChange, Tier
from partners.services import contact_create, product_create, tier_create
from prm.accounts.models import Role
from slas.models import SlaPolicy
from tests.api_calls import field_errors, patch, post, put
from tests.conftest import TenantClient, make_user
from tests.partners.pages import listed_refs

PARTNERS = "/api/v1/partners/"
PRODUCTS = "/api/v1/products/"
TIERS = "/api/v1/tiers/"


def partner_url(ref: str) -> str:
    return f"{PARTNERS}{ref}/"


def contacts_url(ref: str) -> str:
    return f"{PARTNERS}{ref}/contacts/"


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["ref"] for row in response.json()["results"]]


@pytest.fixture
def manager_email(tenant_a: Any, db: None) -> str:
    return str(make_user(tenant_a, Role.MANAGER, email="carla.manager@example.com").email)


def a_partner(**fields: Any) -> dict[str, Any]:
    """A valid request body, with `fields` changed."""
    return {
        "ref": "northwind",
        "name": "Northwind Traders",
        "domain": "northwind.example",
        "phone": "+44 20 7946 0958",
        "country": "GB",
        "channel_manager": "carla.manager@example.com",
        **fields,
    }


def partner_count(in_alpha: Callable[..., Any]) -> int:
    return int(in_alpha(lambda: Partner.objects.count()))


# --- who may call --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", PARTNERS),
        ("post", PARTNERS),
        ("get", partner_url("anyone")),
        ("delete", partner_url("anyone")),
        ("get", contacts_url("anyone")),
        ("get", PRODUCTS),
        ("get", TIERS),
    ],
)
def test_callers_without_credentials_get_401(client_a: TenantClient, method: str, url: str) -> None:
    # when a stranger calls the API without a key or a session
    response = getattr(client_a, method)(url)

    # then they are told to authenticate, with a Bearer challenge, in the error shape
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (401, "not_authenticated", {})


def test_read_only_key_reads_but_every_write_is_refused(
    api_client: Callable[..., TenantClient],
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner, a product and a tier, and a key with the read scope only
    partner_in(tenant_a, ref="acme", name="Acme")
    in_alpha(lambda: product_create(actor=None, sku="router-x1", name="Router X1"))
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold"))
    read_only = api_client(tenant_a, scopes=["read"])

    # when it reads, then it may
    assert read_only.get(PARTNERS).status_code == 200
    assert read_only.get(partner_url("acme")).status_code == 200
    assert read_only.get(contacts_url("acme")).status_code == 200

    # when it writes anything, then it is refused, naming the missing scope
    writes = [
        post(read_only, PARTNERS, a_partner()),
        put(read_only, partner_url("acme"), {"ref": "acme", "name": "Renamed"}),
        patch(read_only, partner_url("acme"), {"name": "Renamed"}),
        read_only.delete(partner_url("acme")),
        post(read_only, contacts_url("acme"), {"name": "Nancy"}),
        post(read_only, PRODUCTS, {"sku": "switch-s2", "name": "Switch"}),
        read_only.delete(f"{PRODUCTS}router-x1/"),
        post(read_only, TIERS, {"slug": "silver", "name": "Silver"}),
        read_only.delete(f"{TIERS}gold/"),
    ]
    for response in writes:
        assert response.status_code == 403, response.request
        body = response.json()
        assert (body["status"], body["code"]) == (403, "permission_denied")
        assert body["message"] == 'This API key lacks the "write" scope.'
    # and nothing changed
    acme = in_alpha(lambda: Partner.objects.get(ref="acme"))
    assert acme.name == "Acme"
    assert in_alpha(lambda: (Partner.objects.count(), Contact.objects.count())) == (1, 0)
    assert in_alpha(lambda: sorted(Tier.objects.values_list("slug", flat=True))) == ["gold"]


def test_partner_user_session_gets_no_partner_through_the_api(
    logged_in_client: Callable[..., TenantClient],
    partner_in: Callable[..., Any],
    tenant_a: Any,
) -> None:
    # given two partners, and a signed-in portal user of the first
    own = partner_in(tenant_a, ref="own-partner", name="Own Partner Ltd")
    partner_in(tenant_a, ref="other-partner", name="Other Partner Ltd")
    portal = logged_in_client(tenant_a, Role.PARTNER, partner=own)

    # when the portal user lists partners, or reads its own or another one, or writes
    answers = [
        portal.get(PARTNERS),
        portal.get(f"{PARTNERS}?search=Partner"),
        portal.get(partner_url("own-partner")),
        portal.get(partner_url("other-partner")),
        portal.get(f"{partner_url('own-partner')}history/"),
        portal.get(contacts_url("own-partner")),
        patch(portal, partner_url("own-partner"), {"name": "Taken Over"}),
        post(portal, PARTNERS, a_partner(ref="sneaky")),
    ]

    # then the API refuses them all (the portal is its door) and shows no partner data
    for response in answers:
        assert response.status_code == 403, response.request
        assert "Partner Ltd" not in response.content.decode()
        assert response.json()["message"] == "Your account or API key may not do this."


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_staff_sessions_use_the_api(
    logged_in_client: Callable[..., TenantClient],
    partner_in: Callable[..., Any],
    tenant_a: Any,
    role: str,
) -> None:
    # given a partner and a signed-in staff user
    partner_in(tenant_a, ref="acme")
    staff = logged_in_client(tenant_a, role)

    # when they list and change partners, then they may
    assert refs(staff.get(PARTNERS)) == ["acme"]
    assert patch(staff, partner_url("acme"), {"city": "Leeds"}).status_code == 200


def test_another_tenants_partners_are_not_there(
    alpha_api: TenantClient, partner_in: Callable[..., Any], tenant_a: Any, tenant_b: Any
) -> None:
    # given a partner in each tenant
    partner_in(tenant_a, ref="alpha-partner")
    partner_in(tenant_b, ref="beta-partner")

    # when alpha's key lists partners and asks for beta's, then alpha sees only its own
    assert refs(alpha_api.get(PARTNERS)) == ["alpha-partner"]
    assert alpha_api.get(partner_url("beta-partner")).status_code == 404


# --- create ----------------------------------------------------------------------------------


def test_create_answers_201_with_the_stored_partner(
    alpha_api: TenantClient, manager_email: str, in_alpha: Callable[..., Any]
) -> None:
    # given a product and a tier
    in_alpha(lambda: product_create(actor=None, sku="router-x1", name="Router X1"))
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold", benefits="30% margin"))

    # when an integrator creates a partner
    response = post(
        alpha_api,
        PARTNERS,
        a_partner(
            domain="Bücher-Händler.test",
            phone="020 7946 0958",
            contact_phone="+1 201 555 0123",
            primary_dns="NS1.Example.NET",
            products=["router-x1"],
            tier="gold",
            tags=["VIP", "emea"],
            status="onboarding",
            status_reason="signed at the trade fair",
        ),
    )

    # then it answers 201 with the partner as stored: normalised, with its defaults
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"] == "northwind"
    assert (body["domain"], body["domain_display"]) == (
        "xn--bcher-hndler-mcb34a.test",
        "bücher-händler.test",
    )
    assert (body["phone"], body["contact_phone"]) == ("+442079460958", "+12015550123")
    assert (body["country"], body["calling_code"]) == ("GB", "+44")
    assert body["primary_dns"] == "ns1.example.net"
    assert (body["products"], body["tier"], body["tags"]) == (
        ["router-x1"],
        "gold",
        ["vip", "emea"],
    )
    assert body["channel_manager"] == manager_email
    assert body["sla"] == in_alpha(lambda: SlaPolicy.objects.get(is_default=True).slug)
    assert body["status"] == "onboarding"
    assert body["allowed_transitions"] == ["active", "suspended", "terminated"]
    assert body["effective_benefits"] == "30% margin"
    assert body["dns"] == {"status": None, "nameservers": [], "checked_at": None, "error": ""}
    # and the first status is recorded with the integrator as who and the reason as why
    change = in_alpha(lambda: StatusChange.objects.select_related("changed_by").get())
    assert (change.to_status, change.reason) == ("onboarding", "signed at the trade fair")
    assert change.changed_by == alpha_api.user


def test_post_with_phone_12_answers_400_naming_phone_and_stores_nothing(
    alpha_api: TenantClient,
    alpha_admin: TenantClient,
    manager_email: str,
    in_alpha: Callable[..., Any],
) -> None:
    # when a partner is posted with "phone": "12"
    response = post(alpha_api, PARTNERS, a_partner(phone="12"))

    # then the answer is 400 naming the phone, and no partner was stored
    assert list(field_errors(response)) == ["phone"]
    assert partner_count(in_alpha) == 0

    # and the partner list in the browser has no row of it
    assert "northwind" not in listed_refs(alpha_admin.get("/partners/"))

    # when the same body comes with a valid phone, then it answers 201
    assert post(alpha_api, PARTNERS, a_partner()).status_code == 201
    assert partner_count(in_alpha) == 1
    # and the partner is a row of the list in the browser
    assert listed_refs(alpha_admin.get("/partners/")) == ["northwind"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ref", "not a slug"),
        ("ref", "new"),
        ("name", ""),
        ("domain", "north wind.example"),
        ("domain", "northwind"),
        ("phone", "12"),
        ("contact_phone", "+44 20"),
        ("contact_email", "nancy-at-northwind"),
        ("country", "XX"),
        ("country", "GBR!"),
        ("primary_dns", "ns1"),
        ("secondary_dns", "ns 2.example.com"),
        ("products", ["no-such-sku"]),
        ("products", "router-x1"),
        ("sla", "no-such-policy"),
        ("tier", "no-such-tier"),
        ("channel_manager", "nobody@example.com"),
        ("status", "dormant"),
        ("tags", ["x" * 51]),
    ],
)
def test_create_with_a_bad_field_answers_400_naming_it(
    alpha_api: TenantClient,
    manager_email: str,
    in_alpha: Callable[..., Any],
    field: str,
    value: Any,
) -> None:
    # when a partner is posted with one bad field
    response = post(alpha_api, PARTNERS, a_partner(**{field: value}))

    # then that field, and only that one, is named with a message; nothing is stored
    errors = field_errors(response)
    assert list(errors) == [field]
    assert errors[field]
    assert all(message for message in errors[field])
    assert partner_count(in_alpha) == 0


def test_create_without_ref_and_name_names_both(
    alpha_api: TenantClient, manager_email: str
) -> None:
    # when a partner is posted without its required fields
    response = post(alpha_api, PARTNERS, {"domain": "acme.example"})

    # then both are named as required
    assert field_errors(response) == {
        "ref": ["This field is required."],
        "name": ["This field is required."],
    }


def test_create_with_taken_ref_or_domain_names_them(
    alpha_api: TenantClient,
    manager_email: str,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner "northwind" at northwind.example
    partner_in(tenant_a, ref="northwind", domain="northwind.example")

    # when another is posted with the same ref, or the same domain spelled otherwise
    same_ref = post(alpha_api, PARTNERS, a_partner(domain="other.example"))
    same_domain = post(
        alpha_api, PARTNERS, a_partner(ref="northwind-2", domain="WWW.Northwind.Example")
    )

    # then each names the taken field, and there is still one partner
    assert list(field_errors(same_ref)) == ["ref"]
    assert field_errors(same_domain) == {"domain": ["Another partner already has this domain."]}
    assert partner_count(in_alpha) == 1


def test_channel_manager_defaults_to_the_staff_caller(
    alpha_manager: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # when a signed-in manager creates a partner without naming its channel manager
    body = a_partner()
    del body["channel_manager"]
    response = post(alpha_manager, PARTNERS, body)

    # then the manager is its channel manager
    assert response.status_code == 201, response.content
    assert response.json()["channel_manager"] == alpha_manager.user.email


def test_channel_manager_of_a_keys_partner_is_the_first_admin_or_must_be_named(
    alpha_api: TenantClient, tenant_a: Any
) -> None:
    # given a tenant without administrators, and a body without channel manager
    body = a_partner()
    del body["channel_manager"]

    # when an integrator posts it, then the channel manager is named as missing
    assert field_errors(post(alpha_api, PARTNERS, body)) == {
        "channel_manager": ["Every partner needs a channel manager."]
    }

    # when the tenant has an administrator, then the partner is theirs
    admin = make_user(tenant_a, Role.ADMIN)
    response = post(alpha_api, PARTNERS, body)
    assert response.status_code == 201, response.content
    assert response.json()["channel_manager"] == admin.email


def test_channel_manager_must_be_staff(
    alpha_api: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a partner user
    portal_user = make_user(tenant_a, Role.PARTNER)

    # when they are named channel manager, then they are refused
    errors = field_errors(post(alpha_api, PARTNERS, a_partner(channel_manager=portal_user.email)))
    assert "must be an active manager or administrator" in errors["channel_manager"][0]


# --- list: search, filters, ordering, pagination ---------------------------------------------


@pytest.fixture
def registry(
    partner_in: Callable[..., Any], tenant_a: Any, in_alpha: Callable[..., Any]
) -> dict[str, Any]:
    """Partners that differ in everything the list filters on."""
    in_alpha(lambda: product_create(actor=None, sku="router-x1", name="Router X1"))
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold"))
    carla = make_user(tenant_a, Role.MANAGER, email="carla@example.com")
    dmitri = make_user(tenant_a, Role.MANAGER, email="dmitri@example.com")
    partner_in(
        tenant_a,
        ref="cobalt",
        name="Cobalt Systems",
        country="DE",
        channel_manager=carla,
        status="active",
        tier="gold",
        products=["router-x1"],
        tags=["vip"],
        domain="cobalt.example",
    )
    partner_in(
        tenant_a,
        ref="aster",
        name="Aster Networks",
        country="GB",
        channel_manager=dmitri,
        contact_email="zoe@birchwood.example",
        domain="aster.example",
    )
    partner_in(
        tenant_a,
        ref="birch",
        name="Birch Reseller",
        country="GB",
        channel_manager=carla,
        status="onboarding",
        tags=["emea"],
    )
    in_alpha(lambda: Partner.objects.filter(ref="aster").update(dns_status="mismatch"))
    in_alpha(lambda: Partner.objects.filter(ref="cobalt").update(dns_status="ok"))
    return {"carla": carla, "dmitri": dmitri}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["aster", "birch", "cobalt"]),
        ("search=systems", ["cobalt"]),
        ("search=birch", ["aster", "birch"]),  # by contact e-mail and by name
        ("q=ASTER.example", ["aster"]),
        ("status=active", ["cobalt"]),
        ("status=active&status=onboarding", ["birch", "cobalt"]),
        ("tier=gold", ["cobalt"]),
        ("country=GB", ["aster", "birch"]),
        ("channel_manager=Carla@Example.com", ["birch", "cobalt"]),
        ("product=router-x1", ["cobalt"]),
        ("tag=VIP", ["cobalt"]),
        ("tag=emea", ["birch"]),
        ("dns_status=mismatch", ["aster"]),
        ("country=GB&channel_manager=dmitri@example.com", ["aster"]),
        ("ordering=-name", ["cobalt", "birch", "aster"]),
        ("ordering=country,name", ["cobalt", "aster", "birch"]),
        ("ordering=status", ["cobalt", "birch", "aster"]),
    ],
)
def test_list_searches_filters_and_orders(
    alpha_api: TenantClient, registry: dict[str, Any], query: str, expected: list[str]
) -> None:
    # when the list is asked for with the query, then exactly those partners come back
    assert refs(alpha_api.get(f"{PARTNERS}?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=dormant", "status"), ("country=XX", "country"), ("dns_status=broken", "dns_status")],
)
def test_list_with_an_unknown_filter_value_answers_400_naming_it(
    alpha_api: TenantClient, registry: dict[str, Any], query: str, field: str
) -> None:
    # when a filter is given a value it does not know, then it is named
    assert list(field_errors(alpha_api.get(f"{PARTNERS}?{query}"))) == [field]


def test_list_is_paginated(alpha_api: TenantClient, registry: dict[str, Any]) -> None:
    # when the first page of two is asked for
    first = alpha_api.get(f"{PARTNERS}?page_size=2").json()

    # then it has the count, two partners and a link to the next page
    assert first["count"] == 3
    assert [row["ref"] for row in first["results"]] == ["aster", "birch"]
    assert first["previous"] is None
    # when the next page is followed, then it has the rest
    second = alpha_api.get(first["next"]).json()
    assert [row["ref"] for row in second["results"]] == ["cobalt"]
    assert second["next"] is None
    # and a page past the end is "not found"
    assert alpha_api.get(f"{PARTNERS}?page_size=2&page=3").status_code == 404


# --- read, update, delete --------------------------------------------------------------------


def test_read_answers_the_partner_and_404_for_an_unknown_ref(
    alpha_api: TenantClient, partner_in: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner
    partner_in(tenant_a, ref="acme", name="Acme", country="FR", phone="01 23 45 67 89")

    # when it is read, then it comes with the contract's fields
    body = alpha_api.get(partner_url("acme")).json()
    assert {
        "ref",
        "name",
        "domain",
        "phone",
        "contact_name",
        "contact_email",
        "contact_phone",
        "street",
        "city",
        "region",
        "postal_code",
        "country",
        "primary_dns",
        "secondary_dns",
        "products",
        "sla",
        "channel_manager",
        "tier",
        "status",
    } <= set(body)
    assert (body["name"], body["phone"], body["country"]) == ("Acme", "+33123456789", "FR")

    # when an unknown ref is read, then the answer is 404 in the error shape
    response = alpha_api.get(partner_url("nobody"))
    assert response.status_code == 404
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (404, "not_found", {})


def test_put_replaces_the_fields_given_and_requires_ref_and_name(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner
    partner_in(tenant_a, ref="acme", name="Acme", city="York")

    # when it is replaced without its required fields, then they are named
    assert set(field_errors(put(alpha_api, partner_url("acme"), {"city": "Leeds"}))) == {
        "ref",
        "name",
    }

    # when it is replaced with a new ref and name, then both change
    response = put(alpha_api, partner_url("acme"), {"ref": "acme-eu", "name": "Acme Europe"})
    assert response.status_code == 200, response.content
    assert (response.json()["ref"], response.json()["name"]) == ("acme-eu", "Acme Europe")
    # and the partner answers at its new ref only
    assert alpha_api.get(partner_url("acme-eu")).status_code == 200
    assert alpha_api.get(partner_url("acme")).status_code == 404
    assert in_alpha(lambda: Partner.objects.get(ref="acme-eu").city) == "York"


def test_what_a_client_reads_it_can_put_back_unchanged(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner with every kind of field filled in
    in_alpha(lambda: product_create(actor=None, sku="router-x1", name="Router X1"))
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold"))
    partner_in(
        tenant_a,
        ref="acme",
        name="Acme",
        domain="Bücher-Händler.test",
        country="DE",
        phone="030 901820",
        primary_dns="ns1.example.net",
        secondary_dns="192.0.2.53",
        products=["router-x1"],
        tier="gold",
        tags=["vip"],
        status="active",
    )
    read = alpha_api.get(partner_url("acme")).json()

    # when a client puts back exactly what it read
    response = put(alpha_api, partner_url("acme"), read)

    # then it is accepted and the partner is as it was
    assert response.status_code == 200, response.content
    unchanged = {key: value for key, value in response.json().items() if key != "updated_at"}
    assert unchanged == {key: value for key, value in read.items() if key != "updated_at"}
    # and the audit history has no entry for it
    entries = alpha_api.get(f"{partner_url('acme')}history/").json()
    assert [entry["what"] for entry in entries] == ["partner changed", "partner created"]
    assert entries[0]["changes"][0]["field"] == "products"  # set just after creation


def test_patch_clears_the_tier_and_the_products_and_resets_the_sla(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner with a tier, a product and a policy other than the default
    in_alpha(lambda: product_create(actor=None, sku="router-x1", name="Router X1"))
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold"))
    in_alpha(lambda: SlaPolicy.objects.create(slug="premium", name="Premium"))
    partner_in(tenant_a, ref="acme", tier="gold", products=["router-x1"], sla="premium")

    # when they are cleared
    response = patch(alpha_api, partner_url("acme"), {"tier": None, "products": [], "sla": ""})

    # then it has no tier or product, and the tenant's default policy
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["tier"], body["products"]) == (None, [])
    assert body["sla"] == in_alpha(lambda: SlaPolicy.objects.get(is_default=True).slug)


def test_patch_with_a_bad_field_changes_nothing(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner in York
    partner_in(tenant_a, ref="acme", city="York", country="GB")

    # when a new city comes with a bad phone
    response = patch(alpha_api, partner_url("acme"), {"city": "Leeds", "phone": "12"})

    # then the phone is named and the city stays
    assert list(field_errors(response)) == ["phone"]
    assert in_alpha(lambda: Partner.objects.get(ref="acme").city) == "York"


def test_patch_moves_the_status_through_the_lifecycle_recording_each_move(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a prospect
    partner_in(tenant_a, ref="acme")

    # when it is moved step by step to affiliate, with reasons
    for status in ("onboarding", "active", "affiliate"):
        response = patch(
            alpha_api, partner_url("acme"), {"status": status, "status_reason": f"now {status}"}
        )
        # then each step is taken
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    # and each move is recorded with who, from, to and why
    moves = in_alpha(
        lambda: list(
            StatusChange.objects.filter(partner__ref="acme")
            .order_by("changed_at", "id")
            .values_list("from_status", "to_status", "reason", "changed_by")
        )
    )
    key_user = alpha_api.user.pk
    assert moves == [
        ("", "prospect", "created", None),
        ("prospect", "onboarding", "now onboarding", key_user),
        ("onboarding", "active", "now active", key_user),
        ("active", "affiliate", "now affiliate", key_user),
    ]


def test_patch_refuses_a_move_the_lifecycle_does_not_allow(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a terminated partner
    partner_in(tenant_a, ref="acme", status="terminated")

    # when it is made active again
    response = patch(alpha_api, partner_url("acme"), {"status": "active", "city": "Leeds"})

    # then the status is named with the reason and nothing changed
    assert field_errors(response) == {"status": ["A terminated partner cannot change status."]}
    stored = in_alpha(lambda: Partner.objects.get(ref="acme"))
    assert (stored.status, stored.city) == ("terminated", "")


def test_delete_answers_204_and_the_partner_is_gone_but_its_history_stays(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner
    partner = partner_in(tenant_a, ref="mistake")

    # when it is deleted
    response = alpha_api.delete(partner_url("mistake"))

    # then it answers 204 and the partner is not found any more
    assert response.status_code == 204
    assert alpha_api.get(partner_url("mistake")).status_code == 404
    # and the history says the key's user deleted it
    deleted = in_alpha(lambda: Partner.history.filter(id=partner.pk).first())
    assert (deleted.history_type, deleted.history_user_id) == ("-", alpha_api.user.pk)


def test_history_endpoint_lists_who_changed_what(
    alpha_api: TenantClient, partner_in: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner renamed through the API
    partner_in(tenant_a, ref="acme", name="Acme")
    patch(alpha_api, partner_url("acme"), {"name": "Acme Europe"})

    # when its history is read
    response = alpha_api.get(f"{partner_url('acme')}history/")

    # then the newest entry names the key's user and the change
    assert response.status_code == 200
    newest = response.json()[0]
    assert newest["who"] == alpha_api.user.email
    assert newest["what"] == "partner changed"
    assert newest["changes"] == [{"field": "name", "old": "Acme", "new": "Acme Europe"}]


# --- contacts ---------------------------------------------------------------------------------


def test_contacts_are_created_read_changed_and_deleted_under_their_partner(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a French partner
    partner_in(tenant_a, ref="acme", country="FR")

    # when a contact is added with a local number
    response = post(
        alpha_api,
        contacts_url("acme"),
        {"name": "Jean Dupont", "role": "technical", "phone": "01 23 45 67 89"},
    )

    # then it answers 201 with the number in E.164
    assert response.status_code == 201, response.content
    contact = response.json()
    assert (contact["name"], contact["role"], contact["phone"]) == (
        "Jean Dupont",
        "technical",
        "+33123456789",
    )
    url = f"{contacts_url('acme')}{contact['id']}/"
    # and it is listed and read under the partner
    assert [row["id"] for row in alpha_api.get(contacts_url("acme")).json()["results"]] == [
        contact["id"]
    ]
    assert alpha_api.get(url).json()["name"] == "Jean Dupont"
    # when it is changed, then the change is kept
    assert patch(alpha_api, url, {"title": "CTO"}).json()["title"] == "CTO"
    assert put(alpha_api, url, {"name": "Jean Martin"}).json()["name"] == "Jean Martin"
    # when it is deleted, then it is gone
    assert alpha_api.delete(url).status_code == 204
    assert alpha_api.get(url).status_code == 404
    assert in_alpha(lambda: Contact.objects.count()) == 0


def test_contact_with_a_bad_phone_answers_400_and_is_not_stored(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a partner
    partner_in(tenant_a, ref="acme", country="FR")

    # when a contact is posted with a bad phone and e-mail
    response = post(
        alpha_api, contacts_url("acme"), {"name": "Jean", "phone": "12", "email": "jean"}
    )

    # then both are named and no contact is stored
    assert set(field_errors(response)) == {"phone", "email"}
    assert in_alpha(lambda: Contact.objects.count()) == 0


def test_contacts_of_an_unknown_or_other_partner_are_not_found(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given two partners, the second with a contact
    partner_in(tenant_a, ref="acme")
    other = partner_in(tenant_a, ref="other")
    contact = in_alpha(lambda: contact_create(partner=other, actor=None, name="Secret Contact"))

    # when the contact is asked for under the wrong partner, or under no partner at all
    wrong_partner = alpha_api.get(f"{contacts_url('acme')}{contact.pk}/")
    changed = patch(alpha_api, f"{contacts_url('acme')}{contact.pk}/", {"name": "Hijacked"})
    unknown = alpha_api.get(contacts_url("nobody"))
    posted = post(alpha_api, contacts_url("nobody"), {"name": "Orphan"})

    # then each is "not found", and nothing changed
    assert [r.status_code for r in (wrong_partner, changed, unknown, posted)] == [404] * 4
    assert "Secret Contact" not in wrong_partner.content.decode()
    assert in_alpha(lambda: Contact.objects.get(pk=contact.pk).name) == "Secret Contact"
    assert in_alpha(lambda: Contact.objects.count()) == 1


# --- products and tiers -------------------------------------------------------------------


def test_products_are_managed_by_sku(alpha_api: TenantClient, in_alpha: Callable[..., Any]) -> None:
    # when a product is created
    response = post(alpha_api, PRODUCTS, {"sku": "router-x1", "name": "Router X1"})

    # then it answers 201 and the product is at its SKU
    assert response.status_code == 201, response.content
    assert alpha_api.get(f"{PRODUCTS}router-x1/").json()["name"] == "Router X1"
    # when it is renamed and deactivated, then the list filters on that
    assert patch(alpha_api, f"{PRODUCTS}router-x1/", {"is_active": False}).status_code == 200
    assert alpha_api.get(f"{PRODUCTS}?is_active=true").json()["count"] == 0
    assert alpha_api.get(f"{PRODUCTS}?is_active=false").json()["count"] == 1
    # when the SKU is taken or no slug, then the SKU is named
    assert list(field_errors(post(alpha_api, PRODUCTS, {"sku": "router-x1", "name": "X"}))) == [
        "sku"
    ]
    assert list(field_errors(post(alpha_api, PRODUCTS, {"sku": "router x1", "name": "X"}))) == [
        "sku"
    ]
    # when it is deleted, then it is gone
    assert alpha_api.delete(f"{PRODUCTS}router-x1/").status_code == 204
    assert alpha_api.get(f"{PRODUCTS}router-x1/").status_code == 404
    # and its history says who did it all
    users = in_alpha(lambda: set(Product.history.values_list("history_user", flat=True)))
    assert users == {alpha_api.user.pk}


def test_tiers_are_listed_by_rank_and_created(alpha_api: TenantClient) -> None:
    # when tiers are created
    for slug, rank in (("silver", 1), ("gold", 2), ("bronze", 0)):
        assert (
            post(alpha_api, TIERS, {"slug": slug, "name": slug.title(), "rank": rank}).status_code
            == 201
        )

    # then they are listed highest rank first
    assert [row["slug"] for row in alpha_api.get(TIERS).json()["results"]] == [
        "gold",
        "silver",
        "bronze",
    ]


def test_managers_read_tiers_but_only_administrators_change_them(
    alpha_manager: TenantClient,
    alpha_admin: TenantClient,
    in_alpha: Callable[..., Any],
) -> None:
    # given a tier
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold", benefits="30% margin"))

    # when a signed-in manager reads the tiers, then they may
    assert [row["slug"] for row in alpha_manager.get(TIERS).json()["results"]] == ["gold"]

    # when they create, change or delete one, then each is refused, saying whose it is
    for response in (
        post(alpha_manager, TIERS, {"slug": "silver", "name": "Silver"}),
        patch(alpha_manager, f"{TIERS}gold/", {"benefits": "99% margin"}),
        put(alpha_manager, f"{TIERS}gold/", {"slug": "gold", "name": "Renamed"}),
        alpha_manager.delete(f"{TIERS}gold/"),
    ):
        assert response.status_code == 403
        assert response.json()["message"].startswith(
            "SLA policies, the default policy and partner tiers are the tenant administrator's"
        )
    assert in_alpha(lambda: list(Tier.objects.values_list("slug", "name", "benefits"))) == [
        ("gold", "Gold", "30% margin")
    ]

    # and an administrator's session may
    assert post(alpha_admin, TIERS, {"slug": "silver", "name": "Silver"}).status_code == 201


def test_deleting_a_tier_still_used_answers_409_and_keeps_it(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    in_alpha: Callable[..., Any],
) -> None:
    # given a tier with a partner, and one without
    in_alpha(lambda: tier_create(actor=None, slug="gold", name="Gold"))
    in_alpha(lambda: tier_create(actor=None, slug="unused", name="Unused"))
    partner_in(tenant_a, ref="acme", tier="gold")

    # when the used tier is deleted
    response = alpha_api.delete(f"{TIERS}gold/")

    # then it answers 409 saying what still uses it, and the tier stays
    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (409, "conflict", {})
    assert body["message"] == "This is still used by partners; change or remove those first."
    assert in_alpha(lambda: Partner.objects.filter(ref="acme", tier__slug="gold").exists())
    # when the unused one is deleted, then it goes
    assert alpha_api.delete(f"{TIERS}unused/").status_code == 204
    assert alpha_api.get(f"{TIERS}unused/").status_code == 404


def test_an_absent_contact_email_is_null_as_the_schema_says(
    alpha_api: TenantClient, manager_email: str
) -> None:
    # given the schema: contact_email is an e-mail address, or null
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["Partner"]["properties"]["contact_email"]
    assert {"type": "string", "format": "email"} in field["oneOf"]
    assert field["nullable"] is True

    # when a partner is created without one, and another with null
    created = post(alpha_api, PARTNERS, a_partner(ref="NO-MAIL", domain=""))
    with_null = post(alpha_api, PARTNERS, a_partner(ref="NULL-MAIL", domain="", contact_email=None))

    # then both answer null, never "" (which no e-mail format accepts)
    assert created.status_code == 201, created.content
    assert with_null.status_code == 201, with_null.content
    assert created.json()["contact_email"] is None
    assert alpha_api.get(partner_url("NULL-MAIL")).json()["contact_email"] is None
    # and an address sent later is shown as sent; null takes it away again
    assert (
        patch(alpha_api, partner_url("NO-MAIL"), {"contact_email": "a@no-mail.example"}).json()[
            "contact_email"
        ]
        == "a@no-mail.example"
    )
    assert (
        patch(alpha_api, partner_url("NO-MAIL"), {"contact_email": None}).json()["contact_email"]
        is None
    )
