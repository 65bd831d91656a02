"""Scorecards: the tiles and charts of a set of partners over a period, compared with
the period of equal length just before it (the year presets: with the same days a
year before). Read from the daily rollups only (through reporting.metrics), so their
cost grows with partners x days, never with events. The tiles come as a headline row
and groups (TileSpec.group); their numbers are written by prm.web.formats in the
tenant's locale and currency (reporting_tags.metric), the exports keep them raw.

The channel manager dashboard (console), the partner page (console) and the partner
portal build their scorecards with the same pieces (the dashboard's own tables are
reporting.dashboard's):

    from reporting.forms import PeriodForm
    from reporting.scorecard import PARTNER_TILES, previous_period, scorecard

    form = PeriodForm(request.GET)          # period=month|30d|quarter|year|last_year|custom
    if form.is_valid():
        period = form.chosen_period()       # reporting.metrics.Period, in the tenant's days
        card = scorecard(
            partners=Partner.objects.filter(pk=partner.pk),   # any partner queryset
            period=period,
            previous=previous_period(period),
            tiles=PARTNER_TILES,            # optional: which tiles, in which order
        )

and in the template (Chart.js and the chart script are loaded by the includes' caller):

    {% include "reporting/_period_fields.html" with form=form %}
    {% include "reporting/_tiles.html" with scorecard=card %}
    {% include "reporting/_charts.html" with scorecard=card %}
    ...
    {% block scripts %}{% include "reporting/_chart_scripts.html" %}{% endblock %}

Every chart comes with a table of the same numbers (a <details> under it), and every
tile carries `data-metric` (the metrics API key) and `data-value` (the API's value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_skeleton
from django.db.models import QuerySet

from partners.models import Partner
from prm.tenancy.db import current_currency
from prm.web import formats

from . import metrics
from .metrics import Period
from .templatetags.reporting_tags import metric

# --- periods ---------------------------------------------------------------------------

PRESETS = {
    "month": "This month",
    "30d": "Last 30 days",
    "quarter": "This quarter",
    "year": "This year",
    "last_year": "Last year",
    "custom": "Custom",
}
DEFAULT_PRESET = "month"
MAX_PERIOD_DAYS = 3700  # as the metrics API


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, up to and including `today` (the tenant's day); the
    year presets are compared with the same days a year before (previous_period)."""
    if preset == "30d":
        return Period(today - timedelta(days=29), today)
    if preset == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(today.replace(month=first_month, day=1), today)
    if preset == "year":
        return Period(date(today.year, 1, 1), today, comparison="year")
    if preset == "last_year":
        last = today.year - 1
        return Period(date(last, 1, 1), date(last, 12, 31), comparison="year")
    if preset == "month":
        return Period(today.replace(day=1), today)
    raise ValueError(f"no preset {preset!r}")


def previous_period(period: Period) -> Period:
    """What `period` is compared with: a year preset's the same days a year before
    ("This year" so far with the same span of last year, "Last year" with the year
    before it; Feb 29 becomes Feb 28); any other's the period of equal length that ends
    the day before it starts."""
    if period.comparison == "year":
        return Period(_a_year_before(period.start), _a_year_before(period.end))
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # Feb 29, in a year that has none
        return day.replace(year=day.year - 1, day=28)


def interval_for(period: Period) -> str:
    """Chart buckets: days up to three months, weeks up to two years, then months."""
    if period.days <= 92:
        return "day"
    if period.days <= 731:
        return "week"
    return "month"


# --- tiles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TileSpec:
    key: str  # the metrics API key
    label: str
    unit: str  # money, count, percent (a 0..1 ratio), days, number, hours (from seconds)
    help: str = ""
    lower_is_better: bool = False
    group: str = "sales"  # a key of TILE_GROUPS


# The headline row first (heavier), then the other tiles under their group's heading.
TILE_GROUPS = {
    "headline": "Headline",
    "sales": "Sales",
    "calls": "Calls",
    "contacts": "Contacts",
    "inventory": "Items and inventory",
    "partners": "Partners",
}
TILE_SPECS = (
    TileSpec("revenue", "Revenue", "money", "won orders, on the day they closed", group="headline"),
    TileSpec("orders_won", "Won orders", "count", group="headline"),
    TileSpec("win_rate", "Win rate", "percent", "won / (won + lost)", group="headline"),
    TileSpec(
        "avg_order_value", "Average order value", "money", "revenue / won orders", group="headline"
    ),
    TileSpec("partners_sold", "Partners that sold", "count", "with a won order", group="headline"),
    TileSpec("margin", "Margin", "money", "revenue - cost"),
    TileSpec("cost", "Cost of sales", "money", "of won orders", True),
    TileSpec("cost_per_sale", "Cost per sale", "money", "cost / won orders", True),
    TileSpec("orders_opened", "Orders opened", "count"),
    TileSpec("orders_lost", "Lost orders", "count", lower_is_better=True),
    TileSpec("new_accounts", "New accounts", "count", "sales that opened an account"),
    TileSpec(
        "avg_days_between_orders",
        "Days between orders",
        "days",
        "first to last won order / (won orders - 1)",
        True,
    ),
    TileSpec("calls_made", "Calls made", "count", group="calls"),
    TileSpec("calls_received", "Calls received", "count", group="calls"),
    TileSpec("channel_calls", "Channel calls", "count", "with the channel team", group="calls"),
    TileSpec("call_seconds", "Call time", "hours", group="calls"),
    TileSpec("contacts_generated", "Contacts generated", "count", group="contacts"),
    TileSpec("contacts_converted", "Contacts converted", "count", group="contacts"),
    TileSpec(
        "contacts_per_partner",
        "Contacts per partner",
        "number",
        "contacts / partners counted",
        group="contacts",
    ),
    TileSpec("items_sold", "Items sold", "count", group="inventory"),
    TileSpec(
        "avg_item_price", "Average item price", "money", "revenue / items sold", group="inventory"
    ),
    TileSpec(
        "items_online_store", "Items sold online", "count", "online direct store", group="inventory"
    ),
    TileSpec("items_display_shelf", "Items from display shelves", "count", group="inventory"),
    TileSpec(
        "inventory_listed",
        "Items listed online",
        "count",
        "last snapshot in the period",
        group="inventory",
    ),
    TileSpec("partners", "Partners counted", "count", "not terminated", group="partners"),
    TileSpec(
        "affiliates_converted",
        "Affiliates converted",
        "count",
        "became affiliates",
        group="partners",
    ),
)
TILES_BY_KEY = {spec.key: spec for spec in TILE_SPECS}
DASHBOARD_TILES = tuple(spec.key for spec in TILE_SPECS)
# A single partner: the tenant-wide counts of partners say nothing there.
PARTNER_TILES = tuple(
    key
    for key in DASHBOARD_TILES
    if key not in ("partners_sold", "affiliates_converted", "contacts_per_partner", "partners")
)
# The dashboard's headline also has the SLA breaches of its partners, which are not a
# rollup metric: the console counts them (slas) and hands the tile in.
SLA_BREACHES = TileSpec(
    "sla_breaches",
    "SLA breaches",
    "count",
    "request clocks breached and monthly minimums missed in the period",
    True,
    group="headline",
)


@dataclass(frozen=True)
class Tile:
    spec: TileSpec
    value: Any
    previous: Any
    change: Any  # value - previous, None when either is None
    change_percent: Decimal | None  # None when previous is 0 or None

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def trend(self) -> str:
        if self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"

    @property
    def is_good(self) -> bool | None:
        if self.trend == "flat":
            return None
        return (self.trend == "up") != self.spec.lower_is_better


def tile_groups(tiles: Sequence[Tile]) -> list[dict[str, Any]]:
    """The tiles under their groups, in TILE_GROUPS' order (the headline first), each
    group's in the order given; a group without tiles is left out. Each group: key,
    title, tiles."""
    grouped: dict[str, list[Tile]] = {key: [] for key in TILE_GROUPS}
    for tile in tiles:
        grouped[tile.spec.group].append(tile)
    return [
        {"key": key, "title": TILE_GROUPS[key], "tiles": members}
        for key, members in grouped.items()
        if members
    ]


def make_tile(spec: TileSpec, value: Any, previous: Any) -> Tile:
    change = None if value is None or previous is None else value - previous
    percent = None
    if change is not None and previous:
        ratio = Decimal(change) * 100 / Decimal(previous)
        percent = ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Tile(spec, value, previous, change, percent)


@dataclass(frozen=True)
class Figures:
    """One period of a set of partners: a row per partner (reporting.metrics.
    partner_metrics, one GROUP BY partner in SQL) and the totals over them, which are
    exactly what GET /api/v1/metrics/summary/ answers plus `inventory_listed`."""

    period: Period
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


def figures(*, partners: QuerySet[Partner], period: Period) -> Figures:
    """The figures of `partners` over `period`: one scan of the rollups for the rows,
    two small counts (partners, affiliates) for the summary."""
    sums = metrics.partner_sums(partners=partners, period=period)
    rows = metrics.metric_rows(partners=partners, sums=sums)
    return Figures(
        period, rows, metrics.totals(partners=partners, period=period, sums=list(sums.values()))
    )


# --- charts ----------------------------------------------------------------------------

SERIES_CHARTS = (
    ("revenue", "Revenue", "bar", (("revenue", "Revenue"),), "money"),
    ("orders", "Won orders", "bar", (("orders_won", "Won orders"),), "count"),
    (
        "calls",
        "Calls made and received",
        "line",
        (("calls_made", "Made"), ("calls_received", "Received")),
        "count",
    ),
    ("contacts", "Contacts generated", "bar", (("contacts_generated", "Generated"),), "count"),
)


# The components the series charts draw: all a scorecard's series sums.
CHARTED = tuple(key for _id, _title, _kind, keys, _unit in SERIES_CHARTS for key, _name in keys)


def chart(
    *,
    chart_id: str,
    title: str,
    kind: str,
    labels: Sequence[str],
    datasets: Iterable[tuple[str, Sequence[Any]]],
    unit: str,
    label_heading: str,
) -> dict[str, Any]:
    """What templates/reporting/_chart.html draws: a Chart.js spec (`config`, numbers
    as floats, with `format`: the unit, locale and currency its axis is written in) and
    the same numbers, exact, for its table (`rows`: each row's `values` and its
    `cells`, the values as people read them)."""
    datasets = list(datasets)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": title,
        "unit": unit,
        "label_heading": label_heading,
        "headings": [name for name, _values in datasets],
        "rows": [
            {
                "label": label,
                "values": (row := [values[index] for _name, values in datasets]),
                "cells": [metric(value, unit) for value in row],
            }
            for index, label in enumerate(labels)
        ],
        "config": {
            "type": kind,
            "labels": list(labels),
            "datasets": [
                {"label": name, "data": [float(value or 0) for value in values]}
                for name, values in datasets
            ],
            # How the browser writes the axis and tooltips: the tenant's locale and,
            # for money, its currency (prm.web.formats writes the same on the server).
            "format": {
                "unit": unit,
                "locale": str(formats.locale()).replace("_", "-"),
                "currency": current_currency(),
            },
        },
    }


def bucket_label(start: date, interval: str) -> str:
    """A chart bucket as people read it, in the tenant's locale: a day ("Jan 6, 2026",
    prm.web.formats.day), a week by its first day, a month ("Jan 2026")."""
    if interval == "month":
        return str(format_skeleton("yMMM", start, locale=formats.locale()))
    if interval == "week":
        return f"Week of {formats.day(start)}"
    return formats.day(start)


def series_charts(rows: list[dict[str, Any]], interval: str, prefix: str) -> list[dict[str, Any]]:
    labels = [bucket_label(row["start"], interval) for row in rows]
    heading = {"day": "Day", "week": "Week", "month": "Month"}[interval]
    return [
        chart(
            chart_id=f"{prefix}-{chart_id}",
            title=title,
            kind=kind,
            labels=labels,
            datasets=[(name, [row[key] for row in rows]) for key, name in keys],
            unit=unit,
            label_heading=heading,
        )
        for chart_id, title, kind, keys, unit in SERIES_CHARTS
    ]


# --- the scorecard ---------------------------------------------------------------------


def scorecard(
    *,
    partners: QuerySet[Partner],
    period: Period,
    previous: Period | None = None,
    tiles: Sequence[str] = DASHBOARD_TILES,
    chart_prefix: str = "chart",
    current_totals: dict[str, Any] | None = None,
    extra_tiles: Sequence[Tile] = (),
) -> dict[str, Any]:
    """Tiles (each metric with its change against `previous`, by default what
    previous_period() compares `period` with) and time-series charts of `partners` over
    `period`. `current_totals` is the period's figures' totals when the caller has them
    already; `extra_tiles` are tiles of numbers that are not rollup metrics (the
    dashboard's SLA breaches), placed in their groups.

    Keys: period, previous, interval, totals, previous_totals, tiles (list of Tile),
    headline (the headline group's tiles), groups (the other groups, tile_groups()),
    series (reporting.metrics.series buckets of the CHARTED components), charts (for
    _chart.html)."""
    previous = previous or previous_period(period)
    if current_totals is None:
        current_totals = figures(partners=partners, period=period).totals
    before_totals = metrics.totals(partners=partners, period=previous)
    interval = interval_for(period)
    rows = metrics.series(partners=partners, period=period, interval=interval, components=CHARTED)
    shown = [
        make_tile(TILES_BY_KEY[key], current_totals.get(key), before_totals.get(key))
        for key in tiles
    ]
    shown.extend(extra_tiles)
    groups = tile_groups(shown)
    headline = groups[0]["tiles"] if groups and groups[0]["key"] == "headline" else []
    return {
        "period": period,
        "previous": previous,
        "interval": interval,
        "totals": current_totals,
        "previous_totals": before_totals,
        "tiles": shown,
        "headline": headline,
        "groups": [group for group in groups if group["key"] != "headline"],
        "series": rows,
        "charts": series_charts(rows, interval, chart_prefix),
    }
