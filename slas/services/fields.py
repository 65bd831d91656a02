"""Parsing a policy's target values as every door gives them (form text, JSON, YAML):
one parser per kind of value, so a number, a time or a date means the same thing and
fails with the same message from the settings page, the API and `sla_defaults`."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date, parse_time

from prm.errors import Errors

from .. import rules

HOUR_TARGETS = rules.HOUR_TARGETS
INTEGER_TARGETS = ("min_monthly_won_orders", "min_monthly_calls")


def _decimal(
    value: Any,
    field: str,
    errors: Errors,
    *,
    places: int,
    minimum: Decimal,
    maximum: Decimal | None = None,
) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(field, f"“{value}” is not a number.")
        return None
    if not number.is_finite() or number < minimum or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        errors.add(field, f"{value} is out of range; use a number of at least {minimum}{bound}.")
        return None
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if quantized != number:
        errors.add(field, f"{value} has too many decimals; use at most {places}.")
        return None
    return quantized


def _integer(value: Any, field: str, errors: Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit():
        errors.add(field, f"“{value}” is not a whole number of at least 0.")
        return None
    return int(str(value).strip())


def time_value(value: Any, field: str, errors: Errors) -> time | None:
    if isinstance(value, time):
        return value
    parsed = None
    # Only text: a number is no time of day (YAML 1.1 reads an unquoted 17:00 as 1020,
    # which parse_time would take for 10:20).
    if isinstance(value, str) and value:
        try:
            parsed = parse_time(value)
        except ValueError:  # well formed but impossible, like 25:00
            parsed = None
    if parsed is None:
        errors.add(field, f"“{value}” is not a time; write it like 09:00.")
    return parsed


def date_value(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value))
    except ValueError:  # well formed but impossible, like 2026-02-30
        return None


def validate_targets(data: dict[str, Any], errors: Errors) -> dict[str, Any]:
    """The target fields present in `data`, parsed; problems go to `errors`."""
    cleaned: dict[str, Any] = {}
    for field in HOUR_TARGETS:
        if field in data:
            cleaned[field] = _decimal(
                data[field],
                field,
                errors,
                places=2,
                minimum=Decimal("0.01"),
                maximum=Decimal("99999"),
            )
    if "min_monthly_revenue" in data:
        cleaned["min_monthly_revenue"] = _decimal(
            data["min_monthly_revenue"],
            "min_monthly_revenue",
            errors,
            places=2,
            minimum=Decimal(0),
            maximum=Decimal("999999999999"),
        )
    for field in INTEGER_TARGETS:
        if field in data:
            cleaned[field] = _integer(data[field], field, errors)
    if "uptime_percent" in data:
        cleaned["uptime_percent"] = _decimal(
            data["uptime_percent"],
            "uptime_percent",
            errors,
            places=3,
            minimum=Decimal(0),
            maximum=Decimal(100),
        )
    return cleaned
