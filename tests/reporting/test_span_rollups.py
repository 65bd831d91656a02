"""Span rollups (weeks and months; a day is its daily rollup) and the days' totals over
every partner: cover() holds every day of a period exactly once, the fold, the rebuild
and a partner's deletion keep the spans and totals equal to sums of the daily rollups,
and every metric read through them and the loose days equals the same metric summed
from the daily rollups, for random periods, whether read for every partner (from the
totals) or for a chosen set (from the partners' rows)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from partners.models import Partner
from partners.services import partner_create, partner_delete
from reporting import metrics, rollups
from reporting.metrics import Period
from reporting.models import DailyRollup, Span, SpanRollup, TotalRollup
from reporting.rollups import COMPONENTS, cover, span_next, span_start
from tests.conftest import TenantClient, tenant_schema
from tests.reporting.activity import accepted, call, contact, inventory, order, send
from tests.reporting.conftest import Catalogue

FIRST_DAY = date(2025, 11, 20)
DAYS = 200


def days_of(span: str, start: date) -> list[date]:
    stop = span_next(span, start)
    return [start + timedelta(days=n) for n in range((stop - start).days)]


def expand(runs: list[tuple[str, date, date]]) -> list[tuple[str, date]]:
    """Every span of cover()'s runs: (span, start)."""
    spans = []
    for span, first, last in runs:
        current = first
        while current <= last:
            spans.append((span, current))
            current = span_next(span, current)
    return spans


# --- cover() ------------------------------------------------------------------------------


@pytest.mark.parametrize("within", [None, "day", "week", "month"])
def test_cover_holds_every_day_of_random_periods_exactly_once(within: str | None) -> None:
    # given random periods of 1 day to 3 years
    chance = random.Random(7)
    for _ in range(500):
        start = date(2024, 1, 1) + timedelta(days=chance.randrange(800))
        end = start + timedelta(days=chance.choice([0, 1, 6, 7, 13, 30, 31, 95, 364, 1100]))

        # when it is covered
        spans = expand(cover(start, end, within=within))

        # then each day is in exactly one span, and none outside the period
        days = [day for span, first in spans for day in days_of(span, first)]
        assert sorted(days) == [start + timedelta(days=n) for n in range((end - start).days + 1)]
        # and with `within`, no span crosses one of its boundaries
        if within:
            for span, first in spans:
                last = span_next(span, first) - timedelta(days=1)
                assert span_start(within, first) == span_start(within, last)


def test_cover_reads_whole_months_then_weeks_then_days() -> None:
    # a calendar year: its twelve months
    assert cover(date(2026, 1, 1), date(2026, 12, 31)) == [
        (Span.MONTH, date(2026, 1, 1), date(2026, 12, 1))
    ]
    # Thursday 2026-01-15 to Tuesday 2026-03-10: February whole; around it, the
    # weeks that lie inside January or March, and days
    assert cover(date(2026, 1, 15), date(2026, 3, 10)) == [
        (Span.DAY, date(2026, 1, 15), date(2026, 1, 18)),
        (Span.WEEK, date(2026, 1, 19), date(2026, 1, 19)),
        (Span.DAY, date(2026, 1, 26), date(2026, 1, 31)),
        (Span.MONTH, date(2026, 2, 1), date(2026, 2, 1)),
        (Span.DAY, date(2026, 3, 1), date(2026, 3, 1)),
        (Span.WEEK, date(2026, 3, 2), date(2026, 3, 2)),
        (Span.DAY, date(2026, 3, 9), date(2026, 3, 10)),
    ]
    # by month, the week that runs from January into February is read as days
    assert cover(date(2026, 1, 26), date(2026, 2, 8), within="month") == [
        (Span.DAY, date(2026, 1, 26), date(2026, 2, 1)),
        (Span.WEEK, date(2026, 2, 2), date(2026, 2, 2)),
    ]
    # and the same days without `within`: one week
    assert cover(date(2026, 1, 26), date(2026, 2, 8)) == [
        (Span.WEEK, date(2026, 1, 26), date(2026, 2, 2))
    ]


# --- the spans against the daily rollups -----------------------------------------------------


def moment(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour, 15).isoformat() + "Z"


def random_activity(catalogue: Catalogue, chance: random.Random, batch: str) -> dict[str, list]:
    """Orders, calls, contacts and inventory on random days of the 200 from FIRST_DAY."""
    rows: dict[str, list] = defaultdict(list)
    refs = [catalogue.ref(name) for name in catalogue.partners]
    skus = [catalogue.sku(name) for name in catalogue.products]
    for n in range(150):
        day = FIRST_DAY + timedelta(days=chance.randrange(DAYS))
        ref = chance.choice(refs)
        status = chance.choice(["won", "won", "lost", "open"])
        closed = day + timedelta(days=chance.randrange(12))
        rows["orders"].append(
            order(
                f"{batch}-o{n}",
                ref,
                status=status,
                amount=f"{chance.randrange(100, 90000) / 100:.2f}",
                cost=f"{chance.randrange(0, 5000) / 100:.2f}",
                quantity=chance.randrange(1, 9),
                channel=chance.choice(["online_store", "display_shelf", "direct", "other"]),
                new_account=chance.random() < 0.2,
                ordered_at=moment(day, chance.randrange(24)),
                closed_at=moment(closed, chance.randrange(24)),
            )
        )
        rows["calls"].append(
            call(
                f"{batch}-c{n}",
                chance.choice(refs),
                direction=chance.choice(["made", "received"]),
                counterpart=chance.choice(["customer", "channel_team"]),
                duration_seconds=chance.randrange(10, 900),
                occurred_at=moment(day, chance.randrange(24)),
            )
        )
        if n % 2:
            rows["contacts"].append(
                contact(
                    f"{batch}-l{n}",
                    chance.choice(refs),
                    created_at=moment(day, 8),
                    converted_at=moment(closed, 9) if chance.random() < 0.4 else None,
                )
            )
        if n % 3 == 0:
            rows["inventory"].append(
                inventory(
                    f"{batch}-i{n}",
                    chance.choice(refs),
                    product=chance.choice(skus),
                    items_listed=chance.randrange(0, 300),
                    observed_at=moment(day, chance.randrange(24)),
                )
            )
    return rows


@pytest.fixture
def history(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, fold: Callable[[], int]
) -> Catalogue:
    """Three partners with random activity over 200 days, sent in three batches (the
    second re-sends some of the first's orders with other days and amounts), each
    folded: the spans are kept by folds only."""
    chance = random.Random(11)
    for batch in ("a", "b", "c"):
        for kind, rows in random_activity(alpha_catalogue, chance, batch).items():
            if batch == "b" and kind == "orders":
                # replace every third order of batch a: moves it to another day
                replaced = random_activity(alpha_catalogue, chance, "a")["orders"][::3]
                rows = rows + replaced
            accepted(send(alpha_api, kind, rows))
        fold()
    return alpha_catalogue


def daily_reference(partner_ids: list[int], first: date, last: date) -> dict[int, dict[str, Any]]:
    """Per partner, the components summed over first..last from the daily rollups."""
    found: dict[int, dict[str, Any]] = {}
    days = DailyRollup.objects.filter(
        partner_id__in=partner_ids, day__gte=first, day__lte=last
    ).order_by("day")
    for row in days:
        values = found.setdefault(
            row.partner_id,
            {
                **dict.fromkeys(COMPONENTS, 0),
                "first_order_at": None,
                "last_order_at": None,
                "inventory_listed": None,
            },
        )
        for component in COMPONENTS:
            values[component] += getattr(row, component)
        if row.first_order_at and (
            values["first_order_at"] is None or row.first_order_at < values["first_order_at"]
        ):
            values["first_order_at"] = row.first_order_at
        if row.last_order_at and (
            values["last_order_at"] is None or row.last_order_at > values["last_order_at"]
        ):
            values["last_order_at"] = row.last_order_at
        if row.inventory_listed is not None:
            values["inventory_listed"] = row.inventory_listed
    return found


def span_rows() -> dict[tuple[int, str, date], tuple[Any, ...]]:
    fields = (*COMPONENTS, "first_order_at", "last_order_at", "inventory_listed")
    return {
        (row[0], row[1], row[2]): tuple(row[3:])
        for row in SpanRollup.objects.values_list("partner_id", "span", "start", *fields)
    }


def test_folded_spans_are_the_sums_of_their_days(history: Catalogue, tenant_a: Any) -> None:
    with tenant_schema(tenant_a):
        # given the spans the folds kept
        kept = span_rows()
        ids = history.partner_ids
        assert {span for _partner, span, _start in kept} == {"week", "month"}

        # then each is the sum of its days in the daily rollups
        for (partner_id, span, start), values in kept.items():
            last = span_next(span, start) - timedelta(days=1)
            reference = daily_reference([partner_id], start, last)[partner_id]
            fields = (*COMPONENTS, "first_order_at", "last_order_at", "inventory_listed")
            assert values == tuple(reference[field] for field in fields), (span, start)
        # and no daily rollup lacks its spans
        days = set(DailyRollup.objects.filter(partner_id__in=ids).values_list("partner_id", "day"))
        for partner_id, day in days:
            for span in rollups.STORED_SPANS:
                assert (partner_id, span.value, span_start(span, day)) in kept

        # when everything is rebuilt from raw rows
        rollups.recompute()

        # then the rebuild writes the same spans
        assert span_rows() == kept


TOTAL_FIELDS = (*COMPONENTS, "first_order_at", "last_order_at")


def total_rows() -> dict[date, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in TotalRollup.objects.values_list("day", *TOTAL_FIELDS)}


def daily_totals() -> dict[date, tuple[Any, ...]]:
    """Per day, the daily rollups of every partner added up."""
    days = sorted(set(DailyRollup.objects.values_list("day", flat=True)))
    found = {}
    for day in days:
        reference = daily_reference(list(Partner.objects.values_list("pk", flat=True)), day, day)
        found[day] = tuple(
            sum((values[field] for values in reference.values()), 0)
            if field in COMPONENTS
            else (min if field == "first_order_at" else max)(
                filter(None, (values[field] for values in reference.values())), default=None
            )
            for field in TOTAL_FIELDS
        )
    return found


def test_the_days_totals_are_the_sums_of_every_partners_days(
    history: Catalogue, tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        # given the totals the folds kept
        kept = total_rows()
        # then each day's total is its partners' daily rollups added up, and every day
        # with a rollup has its total
        assert len(kept) > 100
        assert kept == daily_totals()

        # when everything is rebuilt from raw rows
        rollups.recompute()

        # then the rebuild writes the same totals
        assert total_rows() == kept

        # when a partner goes that has rollups but no raw activity any more (raw rows
        # protect a partner; rollups can outlive them until the next fold), one of its
        # days shared with the others and one its own
        shared = min(kept)
        alone = max(kept) + timedelta(days=3)
        gone = partner_create(
            actor=None,
            ref="gone",
            name="Gone Ltd",
            country="NL",
            domain="gone.example",
            channel_manager=history.manager,
        )
        for day in (shared, alone):
            DailyRollup.objects.create(partner=gone, day=day, orders_opened=7, revenue=5)
        rollups.rebuild_totals([shared, alone])
        assert total_rows()[shared][0] == kept[shared][0] + 7
        partner_delete(partner=gone, actor=None)

        # then the totals are those of the partners left again
        assert total_rows() == kept


def as_decimal(value: Any) -> Any:
    return Decimal(value).quantize(Decimal("0.01")) if isinstance(value, Decimal) else value


def test_metrics_of_random_periods_equal_the_daily_sums(history: Catalogue, tenant_a: Any) -> None:
    chance = random.Random(5)
    with tenant_schema(tenant_a):
        partners = Partner.objects.filter(pk__in=history.partner_ids)
        ids = history.partner_ids
        for _ in range(40):
            # given a random period, some reaching outside the activity
            start = FIRST_DAY + timedelta(days=chance.randrange(-20, DAYS))
            period = Period(start, start + timedelta(days=chance.randrange(0, 220)))
            reference = daily_reference(ids, period.start, period.end)

            # when the metrics are read
            rows = {
                row["partner"]: row
                for row in metrics.partner_metrics(partners=partners, period=period)
            }
            summary = metrics.totals(partners=partners, period=period)

            # then each partner's components and metrics are those of its days
            for partner in partners:
                row = rows[partner.ref]
                expected = reference.get(partner.pk)
                if expected is None:
                    assert row["orders_opened"] == 0
                    assert row["inventory_listed"] is None
                    continue
                for key, value in expected.items():
                    assert as_decimal(row[key]) == as_decimal(value), (period, key)
                for key, value in metrics.derive(expected).items():
                    assert row[key] == value, (period, key)
            # and so are the tenant's totals
            for component in COMPONENTS:
                total = sum((values[component] for values in reference.values()), 0)
                assert as_decimal(summary[component]) == as_decimal(total), (period, component)
            assert summary["partners_sold"] == sum(
                1 for values in reference.values() if values["orders_won"] > 0
            )
            listed = [v["inventory_listed"] for v in reference.values()]
            known = [value for value in listed if value is not None]
            # and so are the one-row totals, with each partner's last snapshot added up
            assert summary["inventory_listed"] == (sum(known) if known else None)
            firsts = [v["first_order_at"] for v in reference.values() if v["first_order_at"]]
            assert summary["first_order_at"] == min(firsts, default=None)
            # and the same totals added up from each partner's sums
            sums = metrics.partner_sums(partners=partners, period=period)
            added = metrics.totals(partners=partners, period=period, sums=list(sums.values()))
            assert added == summary
            # and every partner's totals (read from the days' totals) are the same
            every = metrics.totals(partners=Partner.objects.all(), period=period)
            summed = ("partners_sold", *metrics.SUMMED)
            assert {key: every[key] for key in summed} == {key: summary[key] for key in summed}


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("chosen", [True, False], ids=["chosen-partners", "every-partner"])
def test_series_of_random_periods_equal_the_daily_sums(
    history: Catalogue, tenant_a: Any, interval: str, chosen: bool
) -> None:
    chance = random.Random(3)
    with tenant_schema(tenant_a):
        assert set(Partner.objects.values_list("pk", flat=True)) == set(history.partner_ids)
        # the three partners by id (their rows), or every partner (the days' totals)
        partners = (
            Partner.objects.filter(pk__in=history.partner_ids) if chosen else Partner.objects.all()
        )
        for _ in range(12):
            # given a random period
            start = FIRST_DAY + timedelta(days=chance.randrange(-10, DAYS))
            period = Period(start, start + timedelta(days=chance.randrange(0, 150)))

            # when its series is read, for all three partners, and that of some sums
            series = metrics.series(partners=partners, period=period, interval=interval)
            some = metrics.series(
                partners=partners,
                period=period,
                interval=interval,
                components=("revenue", "calls_made"),
            )

            # then those are the same sums
            assert some == [
                {key: bucket[key] for key in ("start", "revenue", "calls_made")}
                for bucket in series
            ]

            # then each bucket holds the sums of its days inside the period
            for bucket in series:
                first = max(bucket["start"], period.start)
                last = min(span_next(interval, bucket["start"]) - timedelta(days=1), period.end)
                reference = daily_reference(history.partner_ids, first, last)
                for component in ("orders_opened", "orders_won", "revenue", "calls_made"):
                    total = sum((values[component] for values in reference.values()), 0)
                    assert as_decimal(bucket[component]) == as_decimal(total), (
                        period,
                        bucket["start"],
                        component,
                    )
                firsts = [v["first_order_at"] for v in reference.values() if v["first_order_at"]]
                lasts = [v["last_order_at"] for v in reference.values() if v["last_order_at"]]
                assert bucket["first_order_at"] == min(firsts, default=None)
                assert bucket["last_order_at"] == max(lasts, default=None)
