"""Two partners of alpha, each with a portal user: X, whose user signs in, and Y, whose
data X must never see. Every unique string of Y is in `y.secrets`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from partners.models import Partner
from partners.services import contact_create, tier_create
from prm.accounts.models import Role, User
from reporting.ingest import ingest
from slas.models import PartnerRequest
from slas.services import partner_request_open
from tests.conftest import TenantClient, client_for, log_in, tenant_schema
from tests.factories import PartnerFactory, UserFactory


@dataclass
class PortalPartner:
    partner: Partner
    user: User
    marker: str
    order_ids: list[str] = field(default_factory=list)
    call_ids: list[str] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    request: PartnerRequest | None = None
    secrets: list[str] = field(default_factory=list)


def make_portal_partner(
    prefix: str, *, activity: bool = True, amount: str = "100.00"
) -> PortalPartner:
    """A partner (its own tier, terms, contacts, manager) with a portal user, orders,
    calls, contacts and an open request; call inside the tenant's schema."""
    marker = f"{prefix}{uuid.uuid4().hex[:10]}"
    manager = UserFactory.create(
        role=Role.MANAGER, email=f"mgr-{marker}@example.com", full_name=f"Manager {marker}"
    )
    tier = tier_create(
        actor=None,
        slug=f"tier-{marker}",
        name=f"Tier {marker}",
        roles=f"Roles of tier {marker}",
        responsibilities=f"Duties of tier {marker}",
        benefits=f"Benefits of tier {marker}",
    )
    partner = PartnerFactory.create(
        ref=f"ref-{marker}",
        name=f"Partner {marker}",
        domain=f"{marker}.example",
        contact_name=f"Contact {marker}",
        contact_email=f"contact-{marker}@example.com",
        city=f"City{marker}",
        channel_manager=manager,
        tier=tier,
        benefits=f"Own benefits {marker}",
    )
    user = UserFactory.create(
        role=Role.PARTNER, partner=partner, email=f"user-{marker}@example.com"
    )
    portal = PortalPartner(partner=partner, user=user, marker=marker)
    contact_create(partner=partner, actor=None, name=f"Person {marker}", email=f"p-{marker}@ex.com")
    if activity:
        now = timezone.now()
        portal.order_ids = [f"order-{marker}-{n}" for n in range(3)]
        portal.call_ids = [f"call-{marker}-{n}" for n in range(2)]
        portal.lead_ids = [f"lead-{marker}-{n}" for n in range(2)]
        result = ingest(
            kind="orders",
            rows=[
                {
                    "external_id": external_id,
                    "partner": partner.ref,
                    "status": "won",
                    "amount": amount,
                    "ordered_at": (now - timedelta(days=n + 1)).isoformat(),
                    "closed_at": (now - timedelta(days=n)).isoformat(),
                }
                for n, external_id in enumerate(portal.order_ids)
            ],
        )
        assert not result.errors, result.errors
        result = ingest(
            kind="calls",
            rows=[
                {
                    "external_id": external_id,
                    "partner": partner.ref,
                    "direction": "made",
                    "occurred_at": (now - timedelta(hours=n + 1)).isoformat(),
                }
                for n, external_id in enumerate(portal.call_ids)
            ],
        )
        assert not result.errors, result.errors
        result = ingest(
            kind="contacts",
            rows=[
                {
                    "external_id": external_id,
                    "partner": partner.ref,
                    "source": f"source-{marker}",
                    "created_at": (now - timedelta(hours=n + 1)).isoformat(),
                }
                for n, external_id in enumerate(portal.lead_ids)
            ],
        )
        assert not result.errors, result.errors
        portal.request = partner_request_open(partner=partner, subject=f"Request {marker}")
    portal.secrets = [
        marker,  # in its name, ref, domain, e-mails, tier, terms, external ids, subject
        partner.name,
        partner.ref,
        partner.contact_email,
        manager.email,
        *portal.order_ids,
        *portal.call_ids,
        *portal.lead_ids,
    ]
    return portal


@pytest.fixture
def partner_x(db: None, tenant_a: Any) -> PortalPartner:
    with tenant_schema(tenant_a):
        return make_portal_partner("x")


@pytest.fixture
def partner_y(db: None, tenant_a: Any) -> PortalPartner:
    with tenant_schema(tenant_a):
        return make_portal_partner("y", amount="250.00")


@pytest.fixture
def x_client(partner_x: PortalPartner, tenant_a: Any) -> TenantClient:
    """alpha.localhost signed in as partner X's portal user."""
    return log_in(client_for(tenant_a), tenant_a, partner_x.user)


@pytest.fixture
def in_alpha(tenant_a: Any) -> Callable[[], Any]:
    return lambda: tenant_schema(tenant_a)
