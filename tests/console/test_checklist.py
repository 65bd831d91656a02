"""The getting-started checklist on the home page: a new tenant's administrator sees
the steps that set it up, each ticked from what the tenant really has, and the card
goes once all are done; a channel manager sees only the step that is theirs too."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from demo.services import demo_fill
from partners.models import Tier
from partners.services import product_create, tier_create, tier_update
from prm.accounts.models import User
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.factories import ApiKeyFactory, PartnerFactory, UserFactory

STEPS = ["products", "tiers", "manager", "partners", "api_key"]


def checklist(client: TenantClient) -> dict[str, str] | None:
    """The card's steps as {step: "yes"|"no"} (done or not), None without a card."""
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    if 'id="getting-started"' not in page:
        return None
    return dict(re.findall(r'data-step="(\w+)" data-done="(yes|no)"', page))


def test_a_new_tenants_administrator_ticks_every_step_and_the_card_goes(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given a tenant with nothing set up, then each step's thing made one by one
    made: dict[str, Callable[[], Any]] = {
        "products": lambda: product_create(actor=None, sku="router-x1", name="Router X1"),
        "tiers": lambda: tier_create(actor=None, slug="gold", name="Gold", benefits="30% margin"),
        "manager": lambda: UserFactory.create(role="manager"),
        "partners": lambda: PartnerFactory.create(ref="acme"),
        "api_key": lambda: ApiKeyFactory.create(),
    }

    # then at first no step is done, in the order they are best taken
    seen = checklist(alpha_admin)
    assert seen is not None
    assert list(seen) == STEPS
    assert set(seen.values()) == {"no"}
    assert "0 of 5 done" in alpha_admin.get("/").content.decode()

    # and each step is ticked once its thing exists; the card stays while one is left
    for number, step in enumerate(STEPS[:-1], start=1):
        with tenant_schema(tenant_a):
            made[step]()
        seen = checklist(alpha_admin)
        assert seen is not None, step
        assert [key for key, done in seen.items() if done == "yes"] == STEPS[:number]
    # when the last is done, the card is gone
    with tenant_schema(tenant_a):
        made["api_key"]()
    assert checklist(alpha_admin) is None


def test_a_tier_without_terms_is_not_the_tier_step_done(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given a tier with no roles, responsibilities or benefits written
    with tenant_schema(tenant_a):
        tier_create(actor=None, slug="gold", name="Gold")

    # then the step is still to do, and its link leads to the tier form
    seen = checklist(alpha_admin)
    assert seen is not None
    assert seen["tiers"] == "no"
    assert 'href="/partners/tiers/new/"' in alpha_admin.get("/").content.decode()

    # when the tier gets its terms, then it is done
    with tenant_schema(tenant_a):
        tier_update(tier=Tier.objects.get(slug="gold"), actor=None, roles="Resell")
    seen = checklist(alpha_admin)
    assert seen is not None
    assert seen["tiers"] == "yes"


def test_a_channel_manager_sees_only_the_partners_step(
    alpha_manager: TenantClient, tenant_a: Any
) -> None:
    # given a tenant without partners: then the manager's card has the one step
    assert checklist(alpha_manager) == {"partners": "no"}
    page = alpha_manager.get("/").content.decode()
    assert 'href="/partners/new/"' in page
    assert 'href="/partners/import/"' in page

    # when a partner exists, then the manager's card is gone (the administrator's
    # steps are not theirs to take)
    with tenant_schema(tenant_a):
        PartnerFactory.create(ref="acme")
    assert checklist(alpha_manager) is None


def test_partner_users_get_no_checklist(alpha_partner: TenantClient) -> None:
    # when a partner user opens the home page, then it goes to the portal, card-less
    response = alpha_partner.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert 'id="getting-started"' not in response.content.decode()


def test_the_demo_tenant_is_set_up_and_shows_no_checklist(db: None, tenant_a: Any) -> None:
    # given the demo seeded into alpha (the test's transaction)
    with tenant_schema(tenant_a):
        demo_fill(slug="alpha", now=datetime(2026, 11, 18, 14, 0, tzinfo=UTC))
        admin = User.objects.get(email="admin@alpha.test")

    # when its administrator opens the home page, then there is no checklist
    assert checklist(log_in(client_for(tenant_a), tenant_a, admin)) is None
