"""Numbers, money and dates in the tenant's locale and currency (prm.web.formats)."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.utils import timezone

from prm.web import formats

NBSP = "\xa0"


@pytest.fixture
def tenant_reads(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the connection's tenant to one reading `locale` with `currency`."""

    def set_tenant(locale: str, currency: str = "USD") -> None:
        monkeypatch.setattr(
            connection, "tenant", SimpleNamespace(locale=locale, currency=currency), raising=False
        )

    return set_tenant


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [
        ("en_US", "USD", "$45,900.00"),
        ("de_DE", "EUR", f"45.900,00{NBSP}€"),
        ("en_GB", "GBP", "£45,900.00"),
        ("zz_ZZ", "USD", "$45,900.00"),
    ],
)
def test_money_shows_the_tenant_currency_with_the_locale_grouping(
    tenant_reads: Any, locale: str, currency: str, expected: str
) -> None:
    # given a tenant reading `locale` in `currency`
    tenant_reads(locale, currency)

    # then an amount is written its way, with its currency
    assert formats.money("45900.00") == expected


def test_money_in_another_currency_names_it(tenant_reads: Any) -> None:
    tenant_reads("en_US", "USD")
    assert formats.money(3825, "EUR") == "€3,825.00"


def test_numbers_percentages_and_missing_values(tenant_reads: Any) -> None:
    tenant_reads("de_DE", "EUR")
    assert formats.number(1234567) == "1.234.567"
    assert formats.number("3825.5", 2) == "3.825,50"
    assert formats.percent(0.2534) == f"25{NBSP}%"
    assert formats.percent(0.2534, 1) == f"25,3{NBSP}%"
    assert formats.money(None) == formats.number("") == formats.percent(None) == "—"


def test_days_and_moments_have_one_format_each(tenant_reads: Any) -> None:
    # given a tenant in en_US whose pages run in Auckland time
    tenant_reads("en_US")
    instant = datetime(2026, 12, 4, 19, 5, tzinfo=ZoneInfo("UTC"))
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        # then a moment is shown in that zone, and a datetime's day is the zone's day
        assert formats.moment(instant) == "Dec 5, 2026, 8:05\u202fAM"
        assert formats.day(instant) == "Dec 5, 2026"
    assert formats.day(date(2026, 12, 4)) == "Dec 4, 2026"
    dash = "\u2009\u2013\u2009"  # a thin space, an en dash, a thin space
    assert formats.span(date(2025, 1, 30), date(2025, 12, 31)) == f"Jan 30{dash}Dec 31, 2025"
    assert formats.span(date(2026, 3, 1), date(2026, 3, 1)) == "Mar 1, 2026"


def test_the_template_filters(tenant_reads: Any) -> None:
    tenant_reads("en_US", "USD")
    rendered = Template(
        "{% load formats %}{{ amount|money }} {{ amount|money:'EUR' }} {{ n|number }} "
        "{{ n|number:2 }} {{ rate|percent }} {{ when|day }}"
    ).render(Context({"amount": "3825", "n": 45900, "rate": 0.5, "when": date(2026, 1, 2)}))
    assert rendered == "$3,825.00 €3,825.00 45,900 45,900.00 50% Jan 2, 2026"


def test_a_date_shown_without_a_filter_reads_as_the_filters_write_it() -> None:
    # given a day and a moment a template shows as they are
    rendered = Template("{{ when }} / {{ moment }}").render(
        Context({"when": date(2026, 12, 2), "moment": datetime(2026, 12, 2, 14, 43)})
    )

    # then they read like |day and |moment (not Django's "Dec. 2, 2026, 2:43 p.m.")
    assert rendered == "Dec 2, 2026 / Dec 2, 2026, 2:43 PM"
