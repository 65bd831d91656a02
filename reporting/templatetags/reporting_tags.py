"""Numbers of the scorecards as people read them: `{{ value|metric:"money" }}`,
`{{ tile.change|metric_change:"percent" }}`. Units are those of
reporting.scorecard.TileSpec: money, count, percent (a 0..1 ratio, shown as %),
days, number, hours (a number of seconds, shown in hours). The writing is
prm.web.formats' (the tenant's locale, money with the tenant's currency); the CSV
exports and the API keep the raw values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from prm.web import formats

register = template.Library()

EMPTY = formats.MISSING


def _format(value: Any, unit: str) -> str:
    if unit == "money":
        return formats.money(value)
    if unit == "percent":
        return formats.percent(value, 1)
    if unit == "hours":
        return f"{formats.number(Decimal(value) / 3600, 1)} h"
    if unit == "count":
        return formats.number(int(value))
    if unit == "days":
        return f"{formats.number(value, 2)} days"
    return formats.number(value, 2)


def _signed(value: Any, written: str) -> str:
    """`written` (the locale's way, a minus sign of its own included) with a plus sign
    in front when `value` is above zero."""
    return f"+{written}" if Decimal(value) > 0 else written


@register.filter
def metric(value: Any, unit: str) -> str:
    """A value in its unit; None (a division by zero) is a dash."""
    return EMPTY if value is None else _format(value, unit)


@register.filter
def metric_change(value: Any, unit: str) -> str:
    """A difference in its unit, signed; a ratio's difference is in percentage points."""
    if value is None:
        return EMPTY
    if unit == "percent":
        return _signed(value, f"{formats.number(Decimal(value) * 100, 1)} pp")
    return _signed(value, _format(value, unit))


@register.filter
def percent_change(value: Any) -> str:
    """A change in per cent (12.5 is +12.5 %), signed."""
    if value is None:
        return EMPTY
    return _signed(value, formats.percent(Decimal(value) / 100, 1))


@register.filter
def raw(value: Any) -> str:
    """The value as the metrics API writes it (Decimals as plain strings)."""
    return "" if value is None else str(value)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`{{ row|get_item:key }}`: a column of a row chosen by a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None
