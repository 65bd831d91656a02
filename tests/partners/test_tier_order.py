"""Tiers read highest rank first wherever they are listed: the tiers page says so, and
the partner form's tier choice follows it (the partner count's GROUP BY dropped the
model's ordering, so the demo read Silver, Registered, Gold, Platinum)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from partners.services import tier_create
from tests.conftest import TenantClient, tenant_schema

pytestmark = pytest.mark.django_db

# Created in an order that is neither by rank nor by name.
TIERS = [("silver", 20), ("registered", 10), ("gold", 30), ("platinum", 40)]
BY_RANK = ["platinum", "gold", "silver", "registered"]


@pytest.fixture
def tiers(tenant_a: Any) -> None:
    with tenant_schema(tenant_a):
        for slug, rank in TIERS:
            tier_create(actor=None, slug=f"ord-{slug}", name=f"Ord {slug}", rank=rank)


def test_the_tiers_page_lists_the_highest_rank_first(
    tiers: None, alpha_manager: TenantClient
) -> None:
    # when a manager opens the tiers page
    page = alpha_manager.get("/partners/tiers/").content.decode()

    # then the tiers come by rank, highest first
    assert re.findall(r"<code[^>]*>ord-(\w+)</code>", page) == BY_RANK


def test_the_partner_forms_tier_choice_is_by_rank(tiers: None, alpha_admin: TenantClient) -> None:
    # when an administrator opens the new-partner form
    page = alpha_admin.get("/partners/new/").content.decode()

    # then its tier options come by rank, highest first
    assert re.findall(r'<option value="ord-(\w+)"', page) == BY_RANK
