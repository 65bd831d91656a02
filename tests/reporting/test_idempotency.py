"""Re-sending activity is harmless: the same batch sent again, in any order, changes no
row, queues no rollup and leaves every metric as it was after the first time."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import TenantClient, tenant_schema
from tests.reporting.activity import (
    accepted,
    call,
    contact,
    inventory,
    order,
    pending_count,
    rollup_rows,
    send,
)
from tests.reporting.conftest import Catalogue, make_catalogue

PERIOD = {"from": "2026-01-01", "to": "2026-04-30"}


def all_metrics(
    client: TenantClient,
    catalogue: Catalogue,
    intervals: tuple[str, ...] = ("day", "week", "month"),
) -> dict[str, Any]:
    """Every metrics answer about the catalogue's partners over PERIOD: the partners'
    rows, the summary, and each partner's series by each of `intervals`."""
    query = {**PERIOD, "tag": catalogue.tag}
    answers: dict[str, Any] = {
        "partners": client.get("/api/v1/metrics/partners/", query),
        "summary": client.get("/api/v1/metrics/summary/", query),
    }
    for name in catalogue.partners:
        for interval in intervals:
            answers[f"{name}/{interval}"] = client.get(
                f"/api/v1/metrics/partners/{catalogue.ref(name)}/series/",
                {**PERIOD, "interval": interval},
            )
    for key, response in answers.items():
        assert response.status_code == 200, (key, response.content)
    return {key: response.json() for key, response in answers.items()}


def moment(start: datetime, minutes: int) -> str:
    return (start + timedelta(minutes=minutes)).isoformat()


def mixed_batch(catalogue: Catalogue, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Orders, calls, contacts and inventory of every partner over four months."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: dict[str, list[dict[str, Any]]] = {
        "orders": [],
        "calls": [],
        "contacts": [],
        "inventory": [],
    }
    for name in catalogue.partners:
        ref = catalogue.ref(name)
        for index in range(40):
            ordered = rng.randrange(0, 110 * 24 * 60)
            status = rng.choice(["won", "won", "lost", "open"])
            batch["orders"].append(
                order(
                    f"idem-{name}-o{index}",
                    ref,
                    status=status,
                    amount=str(Decimal(rng.randrange(100, 100_000)) / 100),
                    cost=str(Decimal(rng.randrange(0, 5_000)) / 100),
                    quantity=rng.randrange(1, 9),
                    channel=rng.choice(["online_store", "display_shelf", "direct", "other"]),
                    new_account=rng.random() < 0.2,
                    ordered_at=moment(start, ordered),
                    closed_at=moment(start, ordered + rng.randrange(0, 9 * 24 * 60)),
                )
            )
            batch["calls"].append(
                call(
                    f"idem-{name}-c{index}",
                    ref,
                    direction=rng.choice(["made", "received"]),
                    counterpart=rng.choice(["customer", "channel_team"]),
                    duration_seconds=rng.randrange(0, 3600),
                    occurred_at=moment(start, rng.randrange(0, 110 * 24 * 60)),
                )
            )
            created = rng.randrange(0, 100 * 24 * 60)
            converted = moment(start, created + rng.randrange(0, 20 * 24 * 60))
            batch["contacts"].append(
                contact(
                    f"idem-{name}-l{index}",
                    ref,
                    created_at=moment(start, created),
                    converted_at=converted if rng.random() < 0.5 else None,
                )
            )
            batch["inventory"].append(
                inventory(
                    f"idem-{name}-i{index}",
                    ref,
                    product=catalogue.sku(rng.choice(["gadget", "widget"])),
                    items_listed=rng.randrange(0, 500),
                    # whole distinct minutes: no two snapshots of a product at one moment
                    observed_at=moment(start, index * 2 * 24 * 60 + rng.randrange(0, 600)),
                )
            )
    return batch


def test_the_same_batch_three_times_shuffled_gives_identical_metrics(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> None:
    # given a batch of every kind of activity, sent once and folded
    rng = random.Random(5)
    batch = mixed_batch(alpha_catalogue, rng)
    for kind, rows in batch.items():
        body = accepted(send(alpha_api, kind, rows, form="ndjson"))
        assert (body["created"], body["errors"]) == (len(rows), [])
    fold()
    first = all_metrics(alpha_api, alpha_catalogue)
    with tenant_schema(alpha_catalogue.tenant):
        first_rollups = rollup_rows(alpha_catalogue.partner_ids)

    for attempt, form in enumerate(("csv", "array"), start=2):
        # when the same rows are sent again, shuffled, in another format
        for kind, rows in batch.items():
            shuffled = rows[:]
            rng.shuffle(shuffled)
            body = accepted(send(alpha_api, kind, shuffled, form=form))

            # then every row is unchanged and no rollup is due
            assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, len(rows)), (
                attempt,
                kind,
            )
        with tenant_schema(alpha_catalogue.tenant):
            assert pending_count() == 0
        fold()

        # and every metric, and every rollup row, is what it was after the first time
        assert all_metrics(alpha_api, alpha_catalogue) == first, attempt
        with tenant_schema(alpha_catalogue.tenant):
            assert rollup_rows(alpha_catalogue.partner_ids) == first_rollups


BIG = 10_000


def test_the_same_ten_thousand_orders_three_times_leave_every_metric_as_after_the_first(
    alpha_api: TenantClient, tenant_a: Any, fold: Callable[[], int]
) -> None:
    # given 10,000 orders of 20 partners over four months, sent once and folded
    catalogue = make_catalogue(tenant_a, tuple(f"big{index:02d}" for index in range(20)))
    refs = [partner.ref for partner in catalogue.partners.values()]
    rng = random.Random(10_000)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(BIG):
        ordered = rng.randrange(0, 115 * 24 * 60)
        rows.append(
            order(
                f"big-{index:05d}",
                refs[index % len(refs)],
                status=rng.choice(["won", "won", "won", "lost", "open"]),
                amount=str(Decimal(rng.randrange(1, 1_000_000)) / 100),
                cost=str(Decimal(rng.randrange(0, 100_000)) / 100),
                quantity=rng.randrange(1, 20),
                channel=rng.choice(["online_store", "display_shelf", "direct", "other"]),
                new_account=rng.random() < 0.1,
                ordered_at=moment(start, ordered),
                closed_at=moment(start, ordered + rng.randrange(0, 5 * 24 * 60)),
            )
        )
    first_answer = accepted(send(alpha_api, "orders", rows, form="ndjson"))
    assert (first_answer["received"], first_answer["created"], first_answer["errors"]) == (
        BIG,
        BIG,
        [],
    )
    fold()
    # (daily series of 20 partners would cost seconds; the rollup rows compared below
    # are the days themselves)
    first = all_metrics(alpha_api, catalogue, ("month",))
    assert first["summary"]["orders_won"] > 5000
    with tenant_schema(tenant_a):
        first_rollups = rollup_rows(catalogue.partner_ids)

    for attempt in (2, 3):
        # when the same batch is sent again, shuffled
        rng.shuffle(rows)
        body = accepted(send(alpha_api, "orders", rows, form="ndjson"))

        # then nothing was created or updated, nothing is due, and after a fold every
        # metric and rollup row is as it was after the first time
        assert (body["received"], body["created"], body["updated"], body["unchanged"]) == (
            BIG,
            0,
            0,
            BIG,
        ), attempt
        with tenant_schema(tenant_a):
            assert pending_count() == 0
        fold()
        assert all_metrics(alpha_api, catalogue, ("month",)) == first, attempt
        with tenant_schema(tenant_a):
            assert rollup_rows(catalogue.partner_ids) == first_rollups
