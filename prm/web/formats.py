"""Numbers, money and dates as the tenant's people read them.

Babel's CLDR data does the work, in the tenant's locale (Tenant.locale) and currency
(Tenant.currency); datetimes are shown in the active time zone, which is the
tenant's on its pages (prm.tenancy.middleware.TenantTimeZoneMiddleware). One format
per kind of value: a day is CLDR's medium date ("Dec 4, 2026"), a moment a medium
date with a short time ("Dec 4, 2026, 7:05 PM"), a span of days CLDR's interval
("Jan 1 - Dec 4, 2026", with an en dash). Missing values are an em dash. Exports (CSV, XLSX) and the
API keep raw values: they are data, not reading.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import timezone

from prm.tenancy.db import current_currency, current_locale

MISSING = "—"
FALLBACK_LOCALE = "en_US"


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(FALLBACK_LOCALE)


def locale() -> Locale:
    """The tenant's locale (en_US outside a tenant or for an unknown name)."""
    return _locale(current_locale())


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, currency: str | None = None) -> str:
    """An amount with its currency (the tenant's unless given): "$45,900.00"."""
    amount = _decimal(value)
    if amount is None:
        return MISSING
    return str(format_currency(amount, currency or current_currency(), locale=locale()))


def number(value: Any, decimals: int | None = None) -> str:
    """A number with the locale's grouping; `decimals` fixes the places shown (else up
    to three, as many as it has)."""
    amount = _decimal(value)
    if amount is None:
        return MISSING
    where = locale()
    pattern = None
    if decimals is not None:
        whole = str(where.decimal_formats[None].pattern).split(".")[0]
        pattern = whole + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(amount, format=pattern, locale=where))


def percent(value: Any, decimals: int = 0) -> str:
    """A ratio as a percentage: 0.25 is "25%"."""
    ratio = _decimal(value)
    if ratio is None:
        return MISSING
    where = locale()
    pattern = str(where.percent_formats[None].pattern)
    if decimals:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return str(format_percent(ratio, format=pattern, locale=where))


def day(value: date | datetime | None) -> str:
    """A day: "Dec 4, 2026". A datetime is shown as its day in the active zone."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return str(format_date(value, format="medium", locale=locale()))


def moment(value: datetime | None) -> str:
    """A point in time in the active zone: "Dec 4, 2026, 7:05 PM"."""
    if value is None or value == "":
        return MISSING
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    where = locale()
    joined = str(get_datetime_format("medium", locale=where))
    return joined.replace(
        "{1}", str(format_date(value.date(), format="medium", locale=where))
    ).replace("{0}", str(format_time(value.time(), format="short", locale=where)))


def span(first: date, last: date) -> str:
    """Days from `first` to `last`, both included: "Jan 1 - Dec 4, 2026" (an en dash)."""
    if first == last:
        return day(first)
    return str(format_interval(first, last, skeleton="yMMMd", locale=locale()))
