"""Monthly minimums judged from the rollups, once per partner, month and target."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from partners.models import Partner, StatusChange
from reporting.ingest import ingest
from reporting.rollups import fold_all
from slas.compliance import partner_month_compliance
from slas.models import EventKind, Notification, SlaEvent, SlaPolicyVersion
from slas.selectors import sla_policy_default
from slas.services import partner_sla_override_set, sla_minimums_evaluate, sla_policy_save
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
SEPTEMBER = date(2026, 9, 1)


def _active_since_august(partner: Partner) -> None:
    august = datetime(2026, 8, 1, tzinfo=UTC)
    Partner.objects.filter(pk=partner.pk).update(created_at=august)
    StatusChange.objects.filter(partner=partner).update(changed_at=august)


def _won_order(ref: str, external_id: str, amount: str, closed: str) -> None:
    result = ingest(
        kind="orders",
        rows=[
            {
                "external_id": external_id,
                "partner": ref,
                "status": "won",
                "amount": amount,
                "ordered_at": "2026-09-01T09:00:00Z",
                "closed_at": closed,
            }
        ],
    )
    assert not result.errors


def test_missed_minimums_are_recorded_and_notified_once(in_tenant: Any, tenant_a: Any) -> None:
    with in_tenant(tenant_a):
        # given the default policy asks for one won order a month, and partner "seller"
        # must also make 5,000 of revenue
        policy = sla_policy_default()
        sla_policy_save(data={"min_monthly_won_orders": 1}, policy=policy, actor=None)
        seller = PartnerFactory.create(ref="seller", status="active")
        idle = PartnerFactory.create(ref="idle", status="active")
        prospect = PartnerFactory.create(ref="prospect-only")
        for partner in (seller, idle, prospect):
            _active_since_august(partner)
        partner_sla_override_set(
            partner=seller, targets={"min_monthly_revenue": "5000"}, actor=None
        )
        _won_order("seller", "sept-1", "100.00", "2026-09-10T12:00:00Z")
        fold_all()
        # when September is judged twice
        first = sla_minimums_evaluate(month=SEPTEMBER)
        second = sla_minimums_evaluate(month=SEPTEMBER)
        # then the seller missed its revenue, the idle partner its won orders, the
        # prospect is not judged, and nothing was raised twice
        events = {
            (e.partner.ref, e.target)
            for e in SlaEvent.objects.filter(kind=EventKind.MINIMUM_MISSED)
        }
        assert events == {("seller", "min_monthly_revenue"), ("idle", "min_monthly_won_orders")}
        assert (first, second) == (2, 0)
        assert Notification.objects.filter(event__kind=EventKind.MINIMUM_MISSED).count() == 2


def test_a_month_is_judged_by_the_policy_version_in_force_then(
    in_tenant: Any, tenant_a: Any
) -> None:
    with in_tenant(tenant_a):
        # given a partner that won one order in September under a one-order minimum
        policy = sla_policy_default()
        sla_policy_save(data={"min_monthly_won_orders": 1}, policy=policy, actor=None)
        SlaPolicyVersion.objects.filter(policy=policy).update(
            created_at=datetime(2026, 8, 1, tzinfo=UTC)
        )
        partner = PartnerFactory.create(ref="steady", status="active")
        _active_since_august(partner)
        _won_order("steady", "sept-2", "250.00", "2026-09-20T12:00:00Z")
        fold_all()
        # when the minimum is raised afterwards (a new version, in force from now)
        sla_policy_save(data={"min_monthly_won_orders": 10}, policy=policy, actor=None)
        # then September is still judged by the version in force in September
        readings = {r.target: r for r in partner_month_compliance(partner=partner, month=SEPTEMBER)}
        assert readings["min_monthly_won_orders"].minimum == Decimal(1)
        assert readings["min_monthly_won_orders"].actual == 1
        assert readings["min_monthly_won_orders"].met is True
        assert sla_minimums_evaluate(month=SEPTEMBER) == 0
