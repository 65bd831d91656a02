"""The channel manager dashboard's own tables, beside its scorecard (reporting.
scorecard): breakdowns by tier, country and product, the split of items by sales
channel and the partner leaderboard, all from one tuple of rollup sums per partner
(reporting.metrics.partner_sums). The console composes them into its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django_countries import countries

from partners.models import Partner

from . import metrics
from .metrics import SUMMED, Period
from .scorecard import TILES_BY_KEY, Tile, chart, scorecard
from .templatetags.reporting_tags import metric

# --- dashboard-only tables --------------------------------------------------------------

BREAKDOWN_TITLES = {"tier": "Tier", "country": "Country", "product": "Product"}
EMPTY_GROUP = {"tier": "No tier", "country": "No country", "product": "No product"}


def breakdowns(*, partners: QuerySet[Partner], period: Period) -> dict[str, list[dict[str, Any]]]:
    """`partners` over `period` grouped by tier, country and product: every component
    and metric of each group, largest revenue first; `partners` is how many of them the
    group has. Rollups have no product dimension, so a product's row is that of the
    partners carrying it: a partner with two products counts under both, and those rows
    can add up to more than the total."""
    sums = metrics.partner_sums(partners=partners, period=period)
    _people, _rows, groups = _partner_groups(partners, sums)
    return {by: _breakdown(by, grouped) for by, grouped in groups.items()}


def channel_split(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Items sold by where they were sold: online direct store, display shelf, the rest."""
    online = values["items_online_store"]
    shelf = values["items_display_shelf"]
    rest = values["items_sold"] - online - shelf
    return [
        {"key": "online_store", "label": "Online direct store", "items": online},
        {"key": "display_shelf", "label": "Display shelf", "items": shelf},
        {"key": "other", "label": "Direct and other", "items": rest},
    ]


def breakdown_charts(
    tables: dict[str, list[dict[str, Any]]], split: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    charts = [
        chart(
            chart_id=f"breakdown-{by}",
            title=f"Revenue by {BREAKDOWN_TITLES[by].lower()}",
            kind="bar",
            labels=[row["label"] for row in rows],
            datasets=[("Revenue", [row["revenue"] for row in rows])],
            unit="money",
            label_heading=BREAKDOWN_TITLES[by],
        )
        for by, rows in tables.items()
    ]
    charts.append(
        chart(
            chart_id="breakdown-channel",
            title="Items sold: online store or display shelf",
            kind="doughnut",
            labels=[row["label"] for row in split],
            datasets=[("Items sold", [row["items"] for row in split])],
            unit="count",
            label_heading="Where",
        )
    )
    return charts


# Leaderboard columns: metrics API key, heading, unit.
LEADERBOARD_COLUMNS = (
    ("revenue", "Revenue", "money"),
    ("orders_won", "Won orders", "count"),
    ("win_rate", "Win rate", "percent"),
    ("avg_order_value", "Avg order value", "money"),
    ("margin", "Margin", "money"),
    ("items_sold", "Items sold", "count"),
    ("calls_made", "Calls made", "count"),
    ("calls_received", "Calls received", "count"),
    ("contacts_generated", "Contacts", "count"),
    ("inventory_listed", "Listed online", "count"),
)
LEADERBOARD_SORTS = ("name", *(key for key, _heading, _unit in LEADERBOARD_COLUMNS))
DEFAULT_SORT = "-revenue"
LEADERBOARD_SIZE = 25


def sort_label(sort: str) -> str:
    """A leaderboard sort (a column key, "-" first for descending) as people read it:
    "Partners by revenue, highest first", "Partners by name, A to Z"."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    if key == "name":
        return f"Partners by name, {'Z to A' if descending else 'A to Z'}"
    order = "highest first" if descending else "lowest first"
    return f"Partners by {TILES_BY_KEY[key].label.lower()}, {order}"


def leaderboard(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Per-partner rows ordered by `sort` (a column key, "-" first for descending);
    partners without a value (a division by zero) come last either way, then by name."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    by_name = sorted(rows, key=lambda row: (row["name"].lower(), row["partner"]))
    if key == "name":
        return by_name[::-1] if descending else by_name
    with_value = [row for row in by_name if row[key] is not None]
    without = [row for row in by_name if row[key] is None]
    with_value.sort(key=lambda row: row[key], reverse=descending)
    return with_value + without


def dashboard(
    *,
    partners: QuerySet[Partner],
    period: Period,
    previous: Period,
    sort: str,
    extra_tiles: Sequence[Tile] = (),
) -> dict[str, Any]:
    """What the channel manager dashboard shows for `partners` over `period`, from
    three scans of the rollups (the period per partner, the previous period's totals,
    the period per day/week/month): the scorecard, breakdowns by tier, country,
    product and sales channel, and the leaderboard (the console adds the SLA breaches,
    their headline tile as one of `extra_tiles`).

    The same numbers as scorecard.figures() and leaderboard() over partner_metrics()
    rows (the CSV export's path), computed from one tuple of sums per partner: derived
    metrics only for the groups and the leaderboard rows shown."""
    sums = metrics.partner_sums(partners=partners, period=period)
    people, rows, groups = _partner_groups(partners, sums)
    current_totals = metrics.totals(partners=partners, period=period, sums=rows)
    card = scorecard(
        partners=partners,
        period=period,
        previous=previous,
        current_totals=current_totals,
        extra_tiles=extra_tiles,
    )
    tables = {by: _breakdown(by, grouped) for by, grouped in groups.items()}
    split = channel_split(current_totals)
    ranked = _ranked(people, rows, sort)
    return {
        "scorecard": card,
        "breakdowns": [
            {"key": by, "title": BREAKDOWN_TITLES[by], "rows": table}
            for by, table in tables.items()
        ],
        "channel_split": split,
        "breakdown_charts": breakdown_charts(tables, split),
        "leaderboard": ranked,
        "leaderboard_total": len(rows),
        "leaderboard_columns": LEADERBOARD_COLUMNS,
        "sort_label": sort_label(sort),
    }


def _partner_groups(
    partners: QuerySet[Partner], sums: dict[int, tuple[Any, ...]]
) -> tuple[
    list[tuple[str, str]],
    list[tuple[Any, ...]],
    dict[str, dict[tuple[str, str], list[tuple[Any, ...]]]],
]:
    """The partners (ref, name) in name order, their partner_sums() tuples in the same
    order, and those tuples grouped by tier, country and product (a partner under
    every product it carries)."""
    empty = metrics.no_sums()
    members = partners.order_by("name", "ref").values_list(
        "id", "ref", "name", "tier__slug", "tier__name", "country"
    )
    people: list[tuple[str, str]] = []
    rows: list[tuple[Any, ...]] = []
    groups: dict[str, dict[tuple[str, str], list[tuple[Any, ...]]]] = {
        by: {} for by in BREAKDOWN_TITLES
    }
    of_partner: dict[int, tuple[Any, ...]] = {}
    names: dict[str, str] = {}
    for partner_id, ref, name, tier_slug, tier_name, country in members:
        values = sums.get(partner_id, empty)
        people.append((ref, name))
        rows.append(values)
        of_partner[partner_id] = values
        groups["tier"].setdefault((tier_slug or "", tier_name or ""), []).append(values)
        code = str(country or "")
        if code not in names:
            names[code] = str(countries.name(code)) if code else ""
        groups["country"].setdefault((code, names[code]), []).append(values)
    products: dict[int, list[tuple[str, str]]] = {}
    carried = Partner.products.through.objects.filter(partner__in=partners).values_list(
        "partner_id", "product__sku", "product__name"
    )
    for partner_id, sku, product_name in carried:
        products.setdefault(partner_id, []).append((sku, product_name))
    for partner_id, values in of_partner.items():
        for group_key in products.get(partner_id) or [("", "")]:
            groups["product"].setdefault(group_key, []).append(values)
    return people, rows, groups


def _breakdown(
    by: str, grouped: dict[tuple[str, str], list[tuple[Any, ...]]]
) -> list[dict[str, Any]]:
    """One breakdown table: a row per group, its members' partner_sums() added up."""
    table = []
    for (key, label), group in grouped.items():
        values = metrics.totals(sums=group)
        del values["inventory_listed"]  # a group's listings are not shown
        table.append(
            {"key": key, "label": label or EMPTY_GROUP[by], "partners": len(group), **values}
        )
    table.sort(key=lambda row: (-row["revenue"], row["label"]))
    return table


def _ranked(
    people: list[tuple[str, str]], rows: list[tuple[Any, ...]], sort: str
) -> list[dict[str, Any]]:
    """The first LEADERBOARD_SIZE rows of leaderboard() over these partners' rows: the
    ranking reads only the sorted column, and only the rows shown get every metric
    (and `cells`: the LEADERBOARD_COLUMNS as people read them)."""
    key = sort.lstrip("-")
    column = SUMMED.index(key) if key in SUMMED else None

    def value_of(values: tuple[Any, ...]) -> Any:
        if key == "name":
            return None  # leaderboard() sorts by the name itself
        if column is not None:
            return values[column]
        return metrics.derive(dict(zip(SUMMED, values, strict=True)))[key]

    light = [
        {key: value_of(values), "partner": ref, "name": name, "index": index}
        for index, ((ref, name), values) in enumerate(zip(people, rows, strict=True))
    ]
    shown = []
    for row in leaderboard(light, sort)[:LEADERBOARD_SIZE]:
        values = dict(zip(SUMMED, rows[row["index"]], strict=True))
        shown_row = {
            "partner": row["partner"],
            "name": row["name"],
            **values,
            **metrics.derive(values),
        }
        shown_row["cells"] = [
            metric(shown_row[column], unit) for column, _heading, unit in LEADERBOARD_COLUMNS
        ]
        shown.append(shown_row)
    return shown
