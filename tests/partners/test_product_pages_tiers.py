"""A tier's programme terms written in the tier form reach the portal of its partners
(found 1: a new tenant could only set them through the API), and a tier may take its
slug from its name like a product its SKU."""

from __future__ import annotations

import html
from typing import Any

from partners.models import Tier
from tests.conftest import TenantClient, client_for, log_in, make_user, tenant_schema
from tests.factories import PartnerFactory


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_terms_written_in_the_tier_form_are_what_its_partners_read(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # when the administrator creates a tier with its terms, the slug left empty
    created = alpha_admin.post(
        "/partners/tiers/new/",
        {
            "name": "Gold Partner",
            "slug": "",
            "rank": "2",
            "roles": "Resell the **whole** catalogue.",
            "responsibilities": "Two certified engineers.",
            "benefits": "30% margin.",
        },
        follow=True,
    )

    # then the tier has a slug from its name
    assert "The tier “Gold Partner” is created." in text(created)
    with tenant_schema(tenant_a):
        assert Tier.objects.get().slug == "gold-partner"
        # given a partner of that tier, with no terms of its own, and its portal user
        partner = PartnerFactory.create(ref="acme", tier="gold-partner")
    portal = log_in(client_for(tenant_a), tenant_a, make_user(tenant_a, "partner", partner=partner))

    # when the partner user opens the portal
    page = text(portal.get("/portal/"))

    # then it reads the tier's three terms, rendered, and whose they are
    assert "Your partnership: Gold Partner tier" in page
    assert "Resell the <strong>whole</strong> catalogue." in page
    assert "Two certified engineers." in page
    assert "30% margin." in page
    assert page.count("from the Gold Partner tier") == 3


def test_a_tier_slug_taken_by_another_is_refused_even_when_made_from_the_name(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given a tier "gold"
    alpha_admin.post("/partners/tiers/new/", {"name": "Gold", "slug": "", "rank": "0"})

    # when another tier named Gold is created without a slug
    again = alpha_admin.post("/partners/tiers/new/", {"name": "Gold", "slug": "", "rank": "0"})

    # then its form says the slug is taken, and there is one tier
    assert again.status_code == 200
    assert list(again.context["form"].errors) == ["slug"]
    assert "already exists" in again.context["form"].errors["slug"][0]
    with tenant_schema(tenant_a):
        assert list(Tier.objects.values_list("slug", flat=True)) == ["gold"]
