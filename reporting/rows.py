"""One activity row checked and normalised: each field parsed (text, amounts, counts,
flags, choices, ISO 8601 times read in the tenant's zone), partner refs and product
SKUs looked up a batch at a time, and every bad field of a row named in one answer
(RowError). Hand-written for speed, as reporting.ingest explains; a parse_* function
turns a row of its kind into the tuple of columns reporting.ingest writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from partners.models import Partner, Product

from .models import CallDirection, Counterpart, OrderStatus, SalesChannel

MONEY_LIMIT = Decimal("999999999999.99")
CENT = Decimal("0.01")
# The choices' values, computed once: an enum's `.values` builds a new list per call.
ORDER_STATUSES = tuple(OrderStatus.values)
SALES_CHANNELS = tuple(SalesChannel.values)
CALL_DIRECTIONS = tuple(CallDirection.values)
COUNTERPARTS = tuple(Counterpart.values)


class RowError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors


# --- field parsers: each returns the value or raises ValueError with a message -----------


def _text(value: Any, *, required: bool, max_length: int) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValueError("This field is required.")
    if len(text) > max_length:
        raise ValueError(f"Use at most {max_length} characters.")
    return text


def _money(value: Any, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise ValueError("This field is required.")
        return None
    if isinstance(value, bool | float):
        # A float has already lost the exact amount; ask for a string or a JSON number.
        value = str(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not an amount; send a number like 1234.50.") from None
    if not amount.is_finite() or amount < 0 or amount > MONEY_LIMIT:
        raise ValueError(f"{value} is out of range (0 to {MONEY_LIMIT}).")
    cents = amount.quantize(CENT)
    if amount != cents:
        raise ValueError(f"{value} has more than two decimals.")
    return cents


def _count(value: Any, *, default: int | None) -> int:
    if value is None or value == "":
        if default is None:
            raise ValueError("This field is required.")
        return default
    if isinstance(value, bool):
        raise ValueError(f"“{value}” is not a whole number.")
    # Fast paths for the usual shapes (a JSON integer, a CSV field of digits); the
    # answer is the one the Decimal path below would give.
    if type(value) is int:
        if 0 <= value <= 2_000_000_000:
            return value
        raise ValueError(f"“{value}” is not a whole number from 0 to 2000000000.")
    if type(value) is str:
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and int(digits) <= 2_000_000_000:
            return int(digits)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not a whole number.") from None
    if number != number.to_integral_value() or number < 0 or number > 2_000_000_000:
        raise ValueError(f"“{value}” is not a whole number from 0 to 2000000000.")
    return int(number)


TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"“{value}” is not true or false.")


def _choice(value: Any, choices: tuple[str, ...], *, default: str | None) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        if default is None:
            raise ValueError("This field is required.")
        return default
    if text not in choices:
        raise ValueError(f"“{text}” is not one of {', '.join(choices)}.")
    return text


def _moment(value: Any, *, required: bool, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 time; one without an offset is read in the tenant's time zone."""
    if value is None or value == "":
        if required:
            raise ValueError("This field is required.")
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"“{value}” is not an ISO 8601 time like 2026-11-27T14:30:00Z.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


class Lookups:
    """Partner refs and product SKUs to ids, fetched a batch at a time and kept."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.partners: dict[str, int | None] = {}
        self.products: dict[str, int | None] = {}

    def prefetch(self, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
        # Rows that are not objects are reported as such by the caller; skipped here.
        objects = [row for _, row in rows if isinstance(row, Mapping)]
        refs = {str(row.get("partner") or "").strip() for row in objects} - set(self.partners)
        skus = {str(row.get("product") or "").strip() for row in objects} - set(self.products)
        refs.discard("")
        skus.discard("")
        if refs:
            found = dict(Partner.objects.filter(ref__in=refs).values_list("ref", "id"))
            self.partners.update({ref: found.get(ref) for ref in refs})
        if skus:
            found = dict(Product.objects.filter(sku__in=skus).values_list("sku", "id"))
            self.products.update({sku: found.get(sku) for sku in skus})

    def partner(self, value: Any) -> int:
        ref = _text(value, required=True, max_length=64)
        partner_id = self.partners.get(ref)
        if partner_id is None:
            raise ValueError(f"There is no partner with ref “{ref}”.")
        return partner_id

    def product(self, value: Any, *, required: bool) -> int | None:
        sku = _text(value, required=required, max_length=64)
        if not sku:
            return None
        product_id = self.products.get(sku)
        if product_id is None:
            raise ValueError(f"There is no product with SKU “{sku}”.")
        return product_id


class _Row:
    """Collects a row's field errors so one answer names every bad field."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.errors: dict[str, list[str]] = {}

    def get(self, name: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(self.raw.get(name))
        except ValueError as error:
            self.errors.setdefault(name, []).append(str(error))
            return None

    def check(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def done(self) -> None:
        if self.errors:
            raise RowError(self.errors)


def parse_order(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    zone = lookups.zone
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    product_id = row.get("product", lambda v: lookups.product(v, required=False))
    status = row.get("status", lambda v: _choice(v, ORDER_STATUSES, default=None))
    amount = row.get("amount", lambda v: _money(v, required=True))
    cost = row.get("cost", lambda v: _money(v, required=False))
    quantity = row.get("quantity", lambda v: _count(v, default=1))
    channel = row.get("channel", lambda v: _choice(v, SALES_CHANNELS, default=SalesChannel.OTHER))
    new_account = row.get("new_account", _flag)
    ordered_at = row.get("ordered_at", lambda v: _moment(v, required=True, zone=zone))
    closed_at = row.get("closed_at", lambda v: _moment(v, required=False, zone=zone))
    if (
        status in (OrderStatus.WON, OrderStatus.LOST)
        and closed_at is None
        and "closed_at" not in row.errors
    ):
        row.check("closed_at", f"A {status} order needs closed_at: the day it counts on.")
    if status == OrderStatus.OPEN and closed_at is not None:
        row.check("closed_at", "An open order is not closed; leave closed_at empty.")
    if closed_at is not None and ordered_at is not None and closed_at < ordered_at:
        row.check("closed_at", "closed_at is before ordered_at.")
    row.done()
    return (
        external_id,
        partner_id,
        product_id,
        status,
        amount,
        cost or Decimal("0.00"),
        quantity,
        channel,
        new_account,
        ordered_at,
        closed_at,
    )


def parse_call(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    direction = row.get("direction", lambda v: _choice(v, CALL_DIRECTIONS, default=None))
    counterpart = row.get(
        "counterpart", lambda v: _choice(v, COUNTERPARTS, default=Counterpart.CUSTOMER)
    )
    duration = row.get("duration_seconds", lambda v: _count(v, default=0))
    occurred_at = row.get("occurred_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    row.done()
    return (external_id, partner_id, direction, counterpart, duration, occurred_at)


def parse_contact(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    source = row.get("source", lambda v: _text(v, required=False, max_length=100))
    created_at = row.get("created_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    converted_at = row.get("converted_at", lambda v: _moment(v, required=False, zone=lookups.zone))
    if created_at is not None and converted_at is not None and converted_at < created_at:
        row.check("converted_at", "converted_at is before created_at.")
    row.done()
    return (external_id, partner_id, source, created_at, converted_at)


def parse_inventory(raw: Mapping[str, Any], lookups: Lookups) -> tuple[Any, ...]:
    row = _Row(raw)
    external_id = row.get("external_id", lambda v: _text(v, required=True, max_length=200))
    partner_id = row.get("partner", lookups.partner)
    product_id = row.get("product", lambda v: lookups.product(v, required=False))
    items = row.get("items_listed", lambda v: _count(v, default=None))
    observed_at = row.get("observed_at", lambda v: _moment(v, required=True, zone=lookups.zone))
    row.done()
    return (external_id, partner_id, product_id, items, observed_at)
