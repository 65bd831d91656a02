"""Fixtures the SLA tests share."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from partners.models import Partner
from slas.models import PartnerRequest
from tests.factories import PartnerFactory
from tests.slas.policies import overdue_request, remove_overdue, weekday_policy


@pytest.fixture
def northwind(db: None, in_alpha: Callable[..., Any]) -> Partner:
    """A partner of alpha on "weekdays": Monday-Friday 09:00-17:00 UTC, first response
    in 2 business hours, resolution in 16 (tests.slas.policies.weekday_policy)."""
    return in_alpha(
        lambda: PartnerFactory.create(ref="northwind", name="Northwind", sla=weekday_policy())
    )


@pytest.fixture
def committed_overdue_request(
    committed: Callable[[Callable[[], Any]], None], in_tenant: Callable[..., Any], tenant_a: Any
) -> PartnerRequest:
    """A request of alpha, committed (seen by other connections and workers) and long
    past its 1-hour first-response target; removed after the test."""
    marker = uuid.uuid4().hex[:8]

    def clean_up() -> None:
        with in_tenant(tenant_a):
            remove_overdue(marker)

    committed(clean_up)
    with in_tenant(tenant_a):
        return overdue_request(marker)
