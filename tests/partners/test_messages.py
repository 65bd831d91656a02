"""What people read when a partner's phone, domain or DNS server is wrong: what to enter,
never a library's wording (phonenumbers' "the string supplied did not seem to be a
phone number", idna's "Codepoint U+0020 at position 4 of ... not allowed"); and a
pasted web address is cleaned to its domain the same way in the form, the API and the
portal (one validator, partners.validators, behind the services of every door)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from partners.models import Partner
from prm.accounts.models import Role
from tests.api_calls import field_errors, patch, post
from tests.conftest import TenantClient, make_user, tenant_schema
from tests.factories import PartnerFactory
from tests.partners.test_views import valid_form

pytestmark = pytest.mark.django_db

PARTNERS = "/api/v1/partners/"
INTERNALS = ("string supplied", "Codepoint", "position", "U+", "IDNA", "not allowed")


def no_internals(message: str) -> None:
    for word in INTERNALS:
        assert word not in message, message


@pytest.fixture
def manager_email(tenant_a: Any) -> str:
    return str(make_user(tenant_a, Role.MANAGER, email="mia.manager@example.com").email)


def test_the_api_says_what_to_enter_for_a_bad_phone_domain_and_dns_server(
    alpha_api: TenantClient, manager_email: str, tenant_a: Any
) -> None:
    # when a partner is posted with text where a phone, a domain and a DNS server go
    response = post(
        alpha_api,
        PARTNERS,
        {
            "ref": "northwind",
            "name": "Northwind Traders",
            "channel_manager": manager_email,
            "phone": "not a phone",
            "domain": "not a dns!!",
            "primary_dns": "not a dns!!",
        },
    )
    # then each field says what to enter, in words, not the libraries'
    errors = field_errors(response)
    assert "Enter a phone number with its country code, e.g. +44 20 7946 0958" in errors["phone"][0]
    assert "enter a domain name like example.com" in errors["domain"][0]
    assert "enter a host name like ns1.example.com" in errors["primary_dns"][0]
    for messages in errors.values():
        no_internals(messages[0])
    with tenant_schema(tenant_a):
        assert not Partner.objects.filter(ref="northwind").exists()


def test_the_form_shows_the_same_messages_under_the_fields(alpha_manager: TenantClient) -> None:
    # when the new-partner form is sent with the same mistakes
    response = alpha_manager.post(
        "/partners/new/",
        valid_form(
            channel_manager=alpha_manager.user.email,
            country="",
            phone="not a phone",
            domain="not a dns!!",
            secondary_dns="ns 2.example.com",
        ),
    )
    # then every field's message says what to enter
    assert response.status_code == 200
    page = unescape(response.content.decode())
    found = {
        name: re.search(rf'id="id_{name}-errors"><div>(.*?)</div>', page, re.S)
        for name in ("phone", "domain", "secondary_dns")
    }
    messages = {name: match.group(1) for name, match in found.items() if match}
    assert set(messages) == {"phone", "domain", "secondary_dns"}, page
    assert "or set the country first" in messages["phone"]
    assert "it has a space" in messages["domain"]
    assert "it has a space" in messages["secondary_dns"]
    for message in messages.values():
        no_internals(message)


def test_a_pasted_web_address_is_stored_as_its_domain_by_the_form_and_the_api(
    alpha_manager: TenantClient, alpha_api: TenantClient, manager_email: str, tenant_a: Any
) -> None:
    # when a manager pastes a web address as the domain and a name server with its port
    response = alpha_manager.post(
        "/partners/new/",
        valid_form(
            channel_manager=alpha_manager.user.email,
            domain="https://www.Northwind.example/about-us",
            primary_dns="ns1.northwind.example:53",
        ),
    )
    assert response.status_code == 302, unescape(response.content.decode())
    # and an integrator does the same through the API, on create and on update
    created = post(
        alpha_api,
        PARTNERS,
        {
            "ref": "contoso",
            "name": "Contoso",
            "channel_manager": manager_email,
            "domain": "http://contoso.example/",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["domain"] == "contoso.example"
    updated = patch(
        alpha_api, f"{PARTNERS}contoso/", {"domain": "https://shop.contoso.example:443/?q"}
    )
    assert updated.status_code == 200, updated.content
    # then each is stored as the bare domain and host
    with tenant_schema(tenant_a):
        northwind = Partner.objects.get(ref="northwind")
        assert (northwind.domain, northwind.primary_dns) == (
            "northwind.example",
            "ns1.northwind.example",
        )
        assert Partner.objects.get(ref="contoso").domain == "shop.contoso.example"


def test_the_portal_cleans_a_pasted_name_server_the_same_way(
    logged_in_client: Any, tenant_a: Any
) -> None:
    # given a partner user
    with tenant_schema(tenant_a):
        partner = PartnerFactory.create(ref="fabrikam", name="Fabrikam", country="GB")
    client = logged_in_client(tenant_a, Role.PARTNER, partner=partner)
    # when it pastes its name servers as addresses, and a phone without a country code
    page = client.get("/portal/profile/edit/")
    assert page.status_code == 200
    fields = {
        name: "" if value is None else str(value)
        for name, value in page.context["form"].initial.items()
    }
    fields.update(
        primary_dns="http://ns1.fabrikam.example/",
        secondary_dns="[2001:db8::53]:53",
        contact_phone="020 7946 0958",
    )
    response = client.post("/portal/profile/edit/", fields)
    # then they are stored as the host and the address, the phone read as British
    assert response.status_code == 302, unescape(response.content.decode())
    with tenant_schema(tenant_a):
        saved = Partner.objects.get(ref="fabrikam")
        assert (saved.primary_dns, saved.secondary_dns) == ("ns1.fabrikam.example", "2001:db8::53")
        assert str(saved.contact_phone) == "+442079460958"
