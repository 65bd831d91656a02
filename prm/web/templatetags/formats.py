"""Template filters for prm.web.formats: `{% load formats %}`, then `value|money`,
`value|money:"EUR"`, `value|number`, `value|number:2`, `value|percent`,
`value|percent:1`, `a_date|day`, `a_datetime|moment` and `{% span first last %}`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template

from prm.web import formats

register = template.Library()


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    return formats.money(value, currency or None)


@register.filter
def number(value: Any, decimals: Any = None) -> str:
    return formats.number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def percent(value: Any, decimals: Any = 0) -> str:
    return formats.percent(value, int(decimals or 0))


@register.filter
def day(value: date | datetime | None) -> str:
    return formats.day(value)


@register.filter
def moment(value: datetime | None) -> str:
    return formats.moment(value)


@register.simple_tag
def span(first: date, last: date) -> str:
    return formats.span(first, last)
