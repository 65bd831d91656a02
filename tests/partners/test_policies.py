"""The registry reads SLA policies through the directory slas registers
(partners.policies), and refuses to work without one rather than guess."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from partners import policies, services
from prm.accounts.models import Role, User
from slas.partner_hooks import SlaPolicyDirectory
from slas.selectors import sla_policy_default
from tests.factories import UserFactory


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def manager(alpha: Any) -> User:
    return UserFactory.create(role=Role.MANAGER, email="poppy.policies@example.com")


def test_slas_registers_the_directory_when_it_is_ready() -> None:
    assert isinstance(policies.directory(), SlaPolicyDirectory)


def test_a_new_partner_gets_the_default_policy_through_the_directory(manager: User) -> None:
    # given no policy named, when a partner is created
    partner = services.partner_create(
        actor=manager, ref="globex", name="Globex", channel_manager=manager
    )

    # then it is on the tenant's default policy
    assert partner.sla == sla_policy_default()


def test_without_a_directory_a_partner_is_refused_saying_why(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given no policy directory registered (slas not installed, say)
    monkeypatch.setattr(policies, "_registered", [])

    # when a partner is created, then it fails closed, naming what is missing
    with pytest.raises(ImproperlyConfigured, match="No SLA policy directory is registered"):
        services.partner_create(
            actor=manager, ref="initech", name="Initech", channel_manager=manager
        )
