"""What a tenant's settings may be: time zones (the IANA database through zoneinfo),
currencies (ISO 4217 codes, from Babel's CLDR data) and locales (CLDR names Babel
knows), with the labels the organisation page shows for them."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.localedata import locale_identifiers
from babel.numbers import format_decimal, get_currency_name, list_currencies

# The locales the organisation page offers; the service takes any locale Babel knows.
OFFERED_LOCALES = (
    "en_US",
    "en_GB",
    "en_AU",
    "en_CA",
    "en_IE",
    "en_IN",
    "en_NZ",
    "en_ZA",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_BE",
    "fr_CA",
    "fr_CH",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "nl_BE",
    "pt_PT",
    "pt_BR",
    "sv_SE",
    "da_DK",
    "nb_NO",
    "fi_FI",
    "pl_PL",
    "cs_CZ",
    "ja_JP",
    "zh_CN",
    "ko_KR",
)
SAMPLE_DAY = date(2026, 12, 31)


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name, sorted, without the legacy aliases ("US/Eastern", "EST")
    that the database keeps for old systems only."""
    named = (
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/"))
    )
    return ("UTC", *sorted(named))


def is_time_zone(name: str) -> bool:
    return name in available_timezones()


@lru_cache(maxsize=1)
def currencies() -> tuple[str, ...]:
    """ISO 4217 codes CLDR knows, sorted."""
    return tuple(sorted(code for code in list_currencies() if len(code) == 3 and code.isalpha()))


def currency_label(code: str) -> str:
    """ "EUR · Euro"."""
    return f"{code} · {get_currency_name(code, locale='en_US')}"


def is_locale(name: str) -> bool:
    if name not in _locale_identifiers():
        return False
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _locale_identifiers() -> frozenset[str]:
    return frozenset(locale_identifiers())


def locale_label(name: str) -> str:
    """ "German (Germany) · 1.234,5 · 31.12.2026": the name and how it writes a
    number and a day."""
    where = Locale.parse(name)
    sample = f"{format_decimal(1234.5, locale=where)} · {format_date(SAMPLE_DAY, 'medium', where)}"
    return f"{where.get_display_name('en_US')} · {sample}"
