"""Fixtures the SLA tests share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from partners.models import Partner
from tests.factories import PartnerFactory
from tests.slas.policies import weekday_policy


@pytest.fixture
def northwind(db: None, in_alpha: Callable[..., Any]) -> Partner:
    """A partner of alpha on "weekdays": Monday-Friday 09:00-17:00 UTC, first response
    in 2 business hours, resolution in 16 (tests.slas.policies.weekday_policy)."""
    return in_alpha(
        lambda: PartnerFactory.create(ref="northwind", name="Northwind", sla=weekday_policy())
    )
