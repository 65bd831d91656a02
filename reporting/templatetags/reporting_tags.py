"""Numbers of the scorecards as people read them: `{{ value|metric:"money" }}`,
`{{ tile.change|metric_change:"percent" }}`. Units are those of
reporting.scorecard.TileSpec: money, count, percent (a 0..1 ratio, shown as %),
days, number, hours (a number of seconds, shown in hours)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()

EMPTY = "—"


def _format(value: Any, unit: str, signed: bool) -> str:
    sign = "+" if signed else ""
    if unit == "percent":
        return f"{Decimal(value) * 100:{sign},.2f} %"
    if unit == "hours":
        return f"{Decimal(value) / 3600:{sign},.1f} h"
    if unit == "count":
        return f"{int(value):{sign},d}"
    if unit == "days":
        return f"{Decimal(value):{sign},.2f} days"
    return f"{Decimal(value):{sign},.2f}"  # money and plain numbers


@register.filter
def metric(value: Any, unit: str) -> str:
    """A value in its unit; None (a division by zero) is a dash."""
    return EMPTY if value is None else _format(value, unit, signed=False)


@register.filter
def metric_change(value: Any, unit: str) -> str:
    """A difference in its unit, signed; a ratio's difference is in percentage points."""
    if value is None:
        return EMPTY
    if unit == "percent":
        return f"{Decimal(value) * 100:+,.2f} pp"
    return _format(value, unit, signed=True)


@register.filter
def percent_change(value: Any) -> str:
    return EMPTY if value is None else f"{Decimal(value):+,.1f} %"


@register.filter
def raw(value: Any) -> str:
    """The value as the metrics API writes it (Decimals as plain strings)."""
    return "" if value is None else str(value)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`{{ row|get_item:key }}`: a column of a row chosen by a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None
