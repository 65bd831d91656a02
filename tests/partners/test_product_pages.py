"""The product catalogue's pages, under /partners/products/: staff read it with each
product's partner count, administrators create, change, retire and delete products
(through the services the API uses), and a product in use is never silently lost."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.models import Partner, Product
from partners.services import partner_create, product_create
from prm.web.access import PROGRAMME_REFUSAL
from reporting.models import Order
from tests.conftest import TenantClient

InTenant = Callable[[Any], Any]
PRODUCTS = "/partners/products/"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def products(tenant: Any, in_tenant: InTenant) -> list[tuple[str, str, bool]]:
    with in_tenant(tenant):
        return list(Product.objects.order_by("sku").values_list("sku", "name", "is_active"))


def test_an_administrator_creates_a_product_with_the_forms_defaults(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given the new-product form, whose "offered" box is ticked
    form = alpha_admin.get(f"{PRODUCTS}new/")
    assert form.status_code == 200
    assert form.context["form"]["is_active"].value() is True

    # when the administrator types only a name (the box posted as the form has it)
    created = alpha_admin.post(
        f"{PRODUCTS}new/", {"name": "Router X1", "sku": "", "is_active": "on"}, follow=True
    )

    # then the product exists with a SKU made from its name, and the list says so
    assert created.redirect_chain[-1][0] == PRODUCTS
    assert "The product “Router X1” (router-x1) is created." in text(created)
    assert 'id="product-router-x1"' in text(created)
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]
    # and its history says who made it
    with in_tenant(tenant_a):
        assert Product.history.get().history_user == alpha_admin.user


def test_the_list_counts_the_partners_that_offer_each_product(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Any
) -> None:
    # given two products, one offered by two partners
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")
        product_create(actor=None, sku="switch-s2", name="Switch S2")
    partner_in(tenant_a, ref="acme", products=["router-x1"])
    partner_in(tenant_a, ref="bolt", products=["router-x1"])

    # when a channel manager opens the list
    listing = alpha_manager.get(PRODUCTS)

    # then both are listed with their counts, linking to the partners that offer them
    assert listing.status_code == 200
    rows = {product.sku: product.partner_count for product in listing.context["products"]}
    assert rows == {"router-x1": 2, "switch-s2": 0}
    assert 'href="/partners/?product=router-x1"' in text(listing)
    # and a manager gets no buttons to change them
    for link in (f"{PRODUCTS}new/", f"{PRODUCTS}router-x1/edit/", f"{PRODUCTS}switch-s2/delete/"):
        assert f'="{link}"' not in text(listing)


def test_bad_input_is_refused_inline_and_writes_nothing(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product router-x1
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")

    # when another is created with its SKU, one with a SKU with a space, one without a
    # name, and one whose name gives no SKU
    taken = alpha_admin.post(f"{PRODUCTS}new/", {"name": "Other", "sku": "router-x1"})
    spaced = alpha_admin.post(f"{PRODUCTS}new/", {"name": "Other", "sku": "router x1"})
    nameless = alpha_admin.post(f"{PRODUCTS}new/", {"name": "", "sku": "other"})
    symbols = alpha_admin.post(f"{PRODUCTS}new/", {"name": "!!!", "sku": ""})

    # then each form names its field and says nothing was saved
    for response, field in ((taken, "sku"), (spaced, "sku"), (nameless, "name"), (symbols, "sku")):
        assert response.status_code == 200
        assert list(response.context["form"].errors) == [field]
        assert "Nothing was saved." in text(response)
    assert "already exists" in taken.context["form"].errors["sku"][0]
    assert "no letters or digits" in symbols.context["form"].errors["sku"][0]
    # and the catalogue is as it was
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]


def test_an_administrator_edits_and_retires_a_product(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")

    # when its name is changed on its form, which shows what it has
    form = alpha_admin.get(f"{PRODUCTS}router-x1/edit/")
    assert form.context["form"]["name"].value() == "Router X1"
    alpha_admin.post(
        f"{PRODUCTS}router-x1/edit/",
        {"name": "Router X1 Pro", "sku": "router-x1", "is_active": "on"},
    )
    # and it is retired from the list, then offered again
    retired = alpha_admin.post(f"{PRODUCTS}router-x1/retire/", follow=True)
    assert "“Router X1 Pro” is retired" in text(retired)
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1 Pro", False)]
    alpha_admin.post(f"{PRODUCTS}router-x1/retire/", {"offer": "1"})

    # then it has the new name and is offered
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1 Pro", True)]


def test_a_product_partners_offer_is_not_deleted_but_can_be_retired(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Any
) -> None:
    # given a product a partner offers
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")
    partner_in(tenant_a, ref="acme", products=["router-x1"])

    # when the administrator deletes it
    refused = alpha_admin.post(f"{PRODUCTS}router-x1/delete/", follow=True)

    # then it stays, still on the partner, and the page says why and what to do instead
    assert "“Router X1” cannot be deleted: 1 partner offers it. Retire it instead" in text(refused)
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]
    with in_tenant(tenant_a):
        assert list(Partner.objects.get(ref="acme").products.values_list("sku", flat=True)) == [
            "router-x1"
        ]
    # and the row offers to retire it, not to delete it
    assert f'action="{PRODUCTS}router-x1/retire/"' in text(refused)
    assert f'action="{PRODUCTS}router-x1/delete/"' not in text(refused)


def test_a_product_orders_name_is_not_deleted(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Any
) -> None:
    # given a product no partner offers, but an order names
    with in_tenant(tenant_a):
        product = product_create(actor=None, sku="router-x1", name="Router X1")
    partner = partner_in(tenant_a, ref="acme")
    with in_tenant(tenant_a):
        Order.objects.create(
            external_id="order-1",
            partner=partner,
            product=product,
            status="won",
            amount="100.00",
            ordered_at=timezone.now(),
            closed_at=timezone.now(),
        )

    # when the administrator deletes it
    refused = alpha_admin.post(f"{PRODUCTS}router-x1/delete/", follow=True)

    # then it stays, and the page names the records that keep it
    assert "“Router X1” cannot be deleted: orders or inventory on record name it." in text(refused)
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]


def test_an_unused_product_is_deleted(
    alpha_admin: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product nothing refers to
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")

    # when the administrator deletes it
    deleted = alpha_admin.post(f"{PRODUCTS}router-x1/delete/", follow=True)

    # then it is gone, and the history keeps who deleted it
    assert "The product “Router X1” (router-x1) is deleted." in text(deleted)
    assert products(tenant_a, in_tenant) == []
    with in_tenant(tenant_a):
        assert Product.history.filter(history_type="-").get().history_user == alpha_admin.user


def test_managers_and_partner_users_may_not_change_products(
    alpha_manager: TenantClient, alpha_partner: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")
    writes: list[tuple[str, dict[str, str]]] = [
        (f"{PRODUCTS}new/", {"name": "Switch", "sku": "switch"}),
        (f"{PRODUCTS}router-x1/edit/", {"name": "Renamed", "sku": "router-x1"}),
        (f"{PRODUCTS}router-x1/retire/", {}),
        (f"{PRODUCTS}router-x1/delete/", {}),
    ]

    # when a manager opens the forms and posts every write, then each answers 403
    # saying whose the change is
    for url in (f"{PRODUCTS}new/", f"{PRODUCTS}router-x1/edit/"):
        response = alpha_manager.get(url)
        assert response.status_code == 403
        assert PROGRAMME_REFUSAL in text(response)
    for url, data in writes:
        assert alpha_manager.post(url, data).status_code == 403
        # and a partner user is refused the list and every write too
        assert alpha_partner.post(url, data).status_code == 403
    assert alpha_partner.get(PRODUCTS).status_code == 403

    # and the product is as it was
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]


def test_products_is_a_page_name_no_partner_may_take(
    alpha_manager: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # when a partner is created with the ref "products" (the catalogue's address)
    with in_tenant(tenant_a), pytest.raises(ValidationError) as refusal:
        partner_create(
            actor=None, ref="products", name="Products Ltd", channel_manager=alpha_manager.user
        )

    # then the service refuses it (so every door does), and the page is still the list
    assert refusal.value.message_dict["ref"] == [
        "“products” is a page name here; choose another ref."
    ]
    assert alpha_manager.get(PRODUCTS).context["products"] is not None


# --- the API asks the same rules, through the same services ---------------------------------


def test_the_api_refuses_product_writes_to_managers(
    alpha_manager: TenantClient, alpha_api: TenantClient, tenant_a: Any, in_tenant: InTenant
) -> None:
    # given a product
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")

    # when a signed-in manager reads it, then it may
    assert alpha_manager.get("/api/v1/products/router-x1/").status_code == 200
    # when it creates, changes or deletes one, then each is refused with the rule's words
    for response in (
        alpha_manager.post(
            "/api/v1/products/",
            {"sku": "switch", "name": "Switch"},
            content_type="application/json",
        ),
        alpha_manager.patch(
            "/api/v1/products/router-x1/", {"name": "Renamed"}, content_type="application/json"
        ),
        alpha_manager.delete("/api/v1/products/router-x1/"),
    ):
        assert response.status_code == 403
        assert response.json()["message"] == PROGRAMME_REFUSAL
    assert products(tenant_a, in_tenant) == [("router-x1", "Router X1", True)]
    # and a write key may
    assert alpha_api.delete("/api/v1/products/router-x1/").status_code == 204


def test_the_api_keeps_a_product_partners_offer(
    alpha_api: TenantClient, tenant_a: Any, in_tenant: InTenant, partner_in: Any
) -> None:
    # given a product a partner offers
    with in_tenant(tenant_a):
        product_create(actor=None, sku="router-x1", name="Router X1")
    partner_in(tenant_a, ref="acme", products=["router-x1"])

    # when it is deleted through the API
    response = alpha_api.delete("/api/v1/products/router-x1/")

    # then it answers 409 saying what still uses it, and the partner still offers it
    assert response.status_code == 409
    assert response.json()["message"] == (
        "This is still used by partners; change or remove those first."
    )
    with in_tenant(tenant_a):
        assert Partner.objects.filter(ref="acme", products__sku="router-x1").exists()


def test_the_partner_form_leads_to_the_tier_and_product_pages(alpha_manager: TenantClient) -> None:
    # when a manager opens the new-partner form of a tenant without tiers or products
    page = text(alpha_manager.get("/partners/new/"))

    # then it says where tiers and products are made, instead of only "None yet"
    assert 'href="/partners/tiers/"' in page
    assert f'href="{PRODUCTS}"' in page
