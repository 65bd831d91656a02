"""`manage.py recompute_metrics --tenant SLUG [--since YYYY-MM-DD]` rebuilds the daily
rollups from raw activity, and gives exactly what the incremental folds gave."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from prm.tenancy.db import tenant_connection
from reporting import rollups, tasks
from reporting.models import DailyRollup
from tests.commands import run_manage
from tests.conftest import TenantClient, tenant_schema
from tests.reporting.activity import accepted, call, contact, inventory, order, rollup_rows, send
from tests.reporting.conftest import Catalogue


@pytest.fixture
def folded(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> Catalogue:
    """Activity of acme and bolt from January to March 2026, folded incrementally in
    three rounds, the later ones changing rows of the earlier ones."""
    acme, bolt = alpha_catalogue.ref("acme"), alpha_catalogue.ref("bolt")
    gadget = alpha_catalogue.sku("gadget")
    rounds: list[dict[str, list[dict[str, Any]]]] = [
        {
            "orders": [
                order("rc-1", acme, status="open", ordered_at="2026-01-10T10:00:00Z"),
                order(
                    "rc-2",
                    acme,
                    amount="20.00",
                    ordered_at="2026-01-11T10:00:00Z",
                    closed_at="2026-01-12T10:00:00Z",
                ),
                order(
                    "rc-3",
                    bolt,
                    amount="35.10",
                    ordered_at="2026-02-27T10:00:00Z",
                    closed_at="2026-03-02T10:00:00Z",
                ),
            ],
            "calls": [call("rc-c1", acme, occurred_at="2026-01-31T23:59:59Z")],
            "contacts": [contact("rc-l1", bolt, created_at="2026-02-01T00:00:00Z")],
            "inventory": [
                inventory(
                    "rc-i1",
                    acme,
                    product=gadget,
                    items_listed=9,
                    observed_at="2026-02-15T10:00:00Z",
                )
            ],
        },
        {
            # rc-1 won in February, rc-2 moved to March and lost, bolt's lead converted
            "orders": [
                order(
                    "rc-1",
                    acme,
                    amount="99.90",
                    ordered_at="2026-01-10T10:00:00Z",
                    closed_at="2026-02-03T10:00:00Z",
                ),
                order(
                    "rc-2",
                    acme,
                    status="lost",
                    amount="20.00",
                    ordered_at="2026-01-11T10:00:00Z",
                    closed_at="2026-03-05T10:00:00Z",
                ),
            ],
            "contacts": [
                contact(
                    "rc-l1",
                    bolt,
                    created_at="2026-02-01T00:00:00Z",
                    converted_at="2026-03-01T00:00:00Z",
                )
            ],
        },
        {
            "inventory": [
                inventory(
                    "rc-i1",
                    acme,
                    product=gadget,
                    items_listed=4,
                    observed_at="2026-02-16T10:00:00Z",
                )
            ],
            "calls": [
                call("rc-c2", bolt, direction="received", occurred_at="2026-03-20T12:00:00Z")
            ],
        },
    ]
    for batch in rounds:
        for kind, rows in batch.items():
            accepted(send(alpha_api, kind, rows))
        fold()
    return alpha_catalogue


def test_recompute_gives_what_the_incremental_folds_gave(folded: Catalogue, tenant_a: Any) -> None:
    # given the incremental rollups, then three of them damaged: one changed, one
    # deleted, and one made up for a day without activity
    acme = folded.id("acme")
    with tenant_schema(tenant_a):
        incremental = rollup_rows(folded.partner_ids)
        assert (acme, date(2026, 2, 3)) in incremental
        DailyRollup.objects.filter(partner_id=acme, day=date(2026, 2, 3)).update(
            revenue=Decimal("1.00")
        )
        DailyRollup.objects.filter(partner_id=folded.id("bolt"), day=date(2026, 3, 2)).delete()
        DailyRollup.objects.create(partner_id=acme, day=date(2026, 1, 20), orders_won=5)
        assert rollup_rows(folded.partner_ids) != incremental

    # when the rollups are rebuilt from raw rows
    result = run_manage("recompute_metrics", "--tenant", "alpha")

    # then it says so, and they are exactly the incremental ones again
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Rebuilt ")
    assert "rollup rows of alpha from 2026-01-01." in result.stdout
    with tenant_schema(tenant_a):
        assert rollup_rows(folded.partner_ids) == incremental
        # (rc-2 moved away from 12 January: that day is opened-nothing, won-nothing)
        assert not DailyRollup.objects.filter(
            partner_id=acme, day=date(2026, 1, 12), orders_won__gt=0
        ).exists()


def test_recompute_since_a_day_leaves_the_days_before_alone(
    folded: Catalogue, tenant_a: Any
) -> None:
    # given a damaged rollup in January and another in March
    acme, bolt = folded.id("acme"), folded.id("bolt")
    with tenant_schema(tenant_a):
        incremental = rollup_rows(folded.partner_ids)
        DailyRollup.objects.filter(partner_id=acme, day=date(2026, 1, 10)).update(orders_opened=42)
        DailyRollup.objects.filter(partner_id=bolt, day=date(2026, 3, 2)).update(
            revenue=Decimal("0.00")
        )

    # when the rollups are rebuilt since 1 March
    result = run_manage("recompute_metrics", "--tenant", "alpha", "--since", "2026-03-01")

    # then March is right again, and January still shows the damage
    assert result.exit_code == 0, result.stderr
    assert "from 2026-03-01." in result.stdout
    with tenant_schema(tenant_a):
        rebuilt = rollup_rows(folded.partner_ids)
    assert rebuilt[(bolt, date(2026, 3, 2))] == incremental[(bolt, date(2026, 3, 2))]
    assert rebuilt[(acme, date(2026, 1, 10))][0] == 42
    assert {key: value for key, value in rebuilt.items() if key != (acme, date(2026, 1, 10))} == {
        key: value for key, value in incremental.items() if key != (acme, date(2026, 1, 10))
    }


@pytest.mark.parametrize("since", ["last week", "2026-02-30", "2026/03/01"])
def test_a_bad_since_is_refused(since: str, folded: Catalogue, tenant_a: Any) -> None:
    # given damaged rollups
    with tenant_schema(tenant_a):
        DailyRollup.objects.filter(partner_id=folded.id("acme")).update(orders_opened=42)

    # when the rebuild is asked for since something that is not a day
    result = run_manage("recompute_metrics", "--tenant", "alpha", "--since", since)

    # then it says what to give, and rebuilt nothing
    assert result.exit_code == 1
    assert f"--since takes a date like 2026-01-31, not “{since}”." in result.stderr
    with tenant_schema(tenant_a):
        assert set(
            DailyRollup.objects.filter(partner_id=folded.id("acme")).values_list(
                "orders_opened", flat=True
            )
        ) == {42}


def test_an_unknown_tenant_is_refused(db: None) -> None:
    result = run_manage("recompute_metrics", "--tenant", "no-such-tenant")
    assert result.exit_code == 1
    assert 'There is no tenant "no-such-tenant".' in result.stderr


def test_a_tenant_without_activity_has_nothing_to_rebuild(db: None, tenant_b: Any) -> None:
    result = run_manage("recompute_metrics", "--tenant", "beta")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "beta has no activity; nothing to rebuild."


def test_reconcile_counts_its_recent_days_in_the_tenant_time_zone(
    db: None, tenant_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a tenant in Kiritimati (UTC+14) at 11:00 UTC on 1 January, already the 2nd there
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    )
    rebuilt_since: list[date] = []
    monkeypatch.setattr(rollups, "recompute", lambda *, since: rebuilt_since.append(since))
    with tenant_schema(tenant_a):
        monkeypatch.setattr(tenant_connection().tenant, "time_zone", "Pacific/Kiritimati")

        # when the nightly reconciliation rebuilds the last day
        tasks.reconcile.run(days=1)

    # then "the last day" starts at the 1st of January there, not the 31st of December
    assert rebuilt_since == [date(2026, 1, 1)]
