"""Fixtures of the reporting tests: a catalogue of partners and products in alpha (in
the test's transaction), and folding the outbox the way the worker does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from partners.models import Partner, Product
from partners.services import product_create
from prm.accounts.models import Role
from reporting import rollups
from reporting.models import Call, DailyRollup, InventorySnapshot, Lead, Order, PendingRollup
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.factories import ApiKeyFactory, PartnerFactory, UserFactory


@dataclass
class Catalogue:
    """Partners and products of one tenant that a test sends activity for.

    Every partner carries the tag `tag`, so metrics requests can be limited to them
    with `?tag=`."""

    tenant: Any
    tag: str
    manager: Any = None
    partners: dict[str, Partner] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return self.partners[name].ref

    def id(self, name: str) -> int:
        return int(self.partners[name].pk)

    def sku(self, name: str) -> str:
        return self.products[name].sku

    @property
    def partner_ids(self) -> list[int]:
        return [int(partner.pk) for partner in self.partners.values()]


def make_catalogue(
    tenant: Any, partner_names: tuple[str, ...] = ("acme", "bolt", "cogs"), **partner_fields: Any
) -> Catalogue:
    marker = uuid.uuid4().hex[:8]
    catalogue = Catalogue(tenant=tenant, tag=f"t{marker}")
    with tenant_schema(tenant):
        manager = UserFactory.create(role=Role.MANAGER, email=f"manager-{marker}@example.com")
        catalogue.manager = manager
        for name in partner_names:
            catalogue.partners[name] = PartnerFactory.create(
                ref=f"{name}-{marker}",
                name=f"{name.title()} {marker}",
                channel_manager=manager,
                tags=[catalogue.tag],
                **partner_fields,
            )
        for name in ("gadget", "widget"):
            catalogue.products[name] = product_create(
                actor=None, sku=f"{name}-{marker}", name=f"{name.title()} {marker}"
            )
    return catalogue


@pytest.fixture
def alpha_catalogue(db: None, tenant_a: Any) -> Catalogue:
    """Partners acme, bolt and cogs and products gadget and widget in alpha."""
    return make_catalogue(tenant_a)


def remove_catalogue(catalogue: Catalogue) -> None:
    """Delete a committed catalogue with all its activity, rollups and history."""
    with tenant_schema(catalogue.tenant):
        ids = catalogue.partner_ids
        for model in (Order, Call, Lead, InventorySnapshot, DailyRollup, PendingRollup):
            model.objects.filter(partner_id__in=ids).delete()
        Partner.objects.filter(pk__in=ids).delete()
        Partner.history.filter(id__in=ids).delete()
        product_ids = [product.pk for product in catalogue.products.values()]
        Product.objects.filter(pk__in=product_ids).delete()
        Product.history.filter(id__in=product_ids).delete()
        if catalogue.manager is not None:
            catalogue.manager.delete()


@dataclass
class CommittedAlpha:
    """A committed catalogue in alpha, and an API client with a committed key."""

    catalogue: Catalogue
    api: TenantClient


@pytest.fixture
def committed_alpha(
    committed: Callable[[Callable[[], Any]], None], tenant_a: Any
) -> CommittedAlpha:
    """For tests whose data other processes (workers) or connections must see; all of
    it is deleted afterwards. Do not combine with `db`."""
    catalogue = make_catalogue(tenant_a)
    committed(lambda: remove_catalogue(catalogue))
    with tenant_schema(tenant_a):
        api_key = ApiKeyFactory.create(scopes=["read", "write"])

    def remove_key() -> None:
        with tenant_schema(tenant_a):
            user = api_key.user
            api_key.delete()
            user.delete()

    committed(remove_key)
    api = client_for(tenant_a, HTTP_AUTHORIZATION=f"Bearer {api_key.key}")
    return CommittedAlpha(catalogue, api)


@pytest.fixture
def fold(tenant_a: Any) -> Callable[[], int]:
    """Fold alpha's outbox into its rollups, as a worker's fold_pending does."""

    def run() -> int:
        with tenant_schema(tenant_a):
            return rollups.fold_all()

    return run


@pytest.fixture
def new_york_alpha(db: None, tenant_a: Any) -> Iterator[Any]:
    """alpha's days are New York's for the test (requests and folds alike).

    The tenant row is saved, which clears the cached tenant the middleware serves each
    host from, and is put back the same way afterwards."""
    previous = tenant_a.time_zone
    tenant_a.time_zone = "America/New_York"
    tenant_a.save(update_fields=["time_zone"])
    try:
        yield tenant_a
    finally:
        tenant_a.time_zone = previous
        tenant_a.save(update_fields=["time_zone"])
