"""The kinds of activity (orders, calls, contacts, inventory snapshots) in one table:
for each, the model that stores it, its label, the fields the API takes and the
columns ingestion writes (reporting.ingest), the days a row touches, its row parser
(reporting.rows), the time a period filters on, the serializer the API lists it
with, and whether the staff activity pages show it and download it as CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from . import api_examples as examples
from .models import Call, InventorySnapshot, Lead, Order
from .rows import Lookups, parse_call, parse_contact, parse_inventory, parse_order

ORDERS = "orders"
CALLS = "calls"
CONTACTS = "contacts"
INVENTORY = "inventory"

ORDER_FIELDS = (
    "product",
    "status",
    "amount",
    "cost",
    "quantity",
    "channel",
    "new_account",
    "ordered_at",
    "closed_at",
)
CALL_FIELDS = ("direction", "counterpart", "duration_seconds", "occurred_at")
CONTACT_FIELDS = ("source", "created_at", "converted_at")
INVENTORY_FIELDS = ("product", "items_listed", "observed_at")


def _api_fields(fields: tuple[str, ...]) -> list[str]:
    """The fields of a stored row: those ingestion takes, and when it was stored."""
    return ["external_id", "partner", *fields, "ingested_at", "updated_at"]


@extend_schema_serializer(examples=examples.ACTIVITY_EXAMPLES[ORDERS])
class ActivityOrderSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.ref")
    product = serializers.CharField(source="product.sku", allow_null=True, default=None)

    class Meta:
        model = Order
        fields = _api_fields(ORDER_FIELDS)


@extend_schema_serializer(examples=examples.ACTIVITY_EXAMPLES[CALLS])
class ActivityCallSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.ref")

    class Meta:
        model = Call
        fields = _api_fields(CALL_FIELDS)


@extend_schema_serializer(examples=examples.ACTIVITY_EXAMPLES[CONTACTS])
class ActivityContactSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.ref")

    class Meta:
        model = Lead
        fields = _api_fields(CONTACT_FIELDS)


@extend_schema_serializer(examples=examples.ACTIVITY_EXAMPLES[INVENTORY])
class ActivityInventorySerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.ref")
    product = serializers.CharField(source="product.sku", allow_null=True, default=None)

    class Meta:
        model = InventorySnapshot
        fields = _api_fields(INVENTORY_FIELDS)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    model: type[models.Model]
    # API fields accepted (besides external_id and partner), and the columns written,
    # in the order `parse` returns them.
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    # Timestamp columns whose (tenant-local) days are the rollup keys a row touches.
    day_columns: tuple[str, ...]
    parse: Callable[[Mapping[str, Any], Lookups], tuple[Any, ...]]
    # The time a period filters on (the tenant's days) in downloads.
    moment: str
    serializer: type[serializers.ModelSerializer[Any]]
    # Shown on the staff activity pages and downloadable there as CSV.
    on_activity_pages: bool = True

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def has_product(self) -> bool:
        return "product" in self.fields

    @property
    def export_columns(self) -> tuple[str, ...]:
        """The columns of its CSV download, named as in the activity API."""
        return ("external_id", "partner", *self.fields)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name=ORDERS,
            label="Orders",
            model=Order,
            fields=ORDER_FIELDS,
            columns=(
                "external_id",
                "partner_id",
                "product_id",
                "status",
                "amount",
                "cost",
                "quantity",
                "channel",
                "new_account",
                "ordered_at",
                "closed_at",
            ),
            day_columns=("ordered_at", "closed_at"),
            parse=parse_order,
            moment="ordered_at",
            serializer=ActivityOrderSerializer,
        ),
        Kind(
            name=CALLS,
            label="Calls",
            model=Call,
            fields=CALL_FIELDS,
            columns=(
                "external_id",
                "partner_id",
                "direction",
                "counterpart",
                "duration_seconds",
                "occurred_at",
            ),
            day_columns=("occurred_at",),
            parse=parse_call,
            moment="occurred_at",
            serializer=ActivityCallSerializer,
        ),
        Kind(
            name=CONTACTS,
            label="Contacts",
            model=Lead,
            fields=CONTACT_FIELDS,
            columns=("external_id", "partner_id", "source", "created_at", "converted_at"),
            day_columns=("created_at", "converted_at"),
            parse=parse_contact,
            moment="created_at",
            serializer=ActivityContactSerializer,
        ),
        Kind(
            name=INVENTORY,
            label="Inventory",
            model=InventorySnapshot,
            fields=INVENTORY_FIELDS,
            columns=("external_id", "partner_id", "product_id", "items_listed", "observed_at"),
            day_columns=("observed_at",),
            parse=parse_inventory,
            moment="observed_at",
            serializer=ActivityInventorySerializer,
            on_activity_pages=False,
        ),
    )
}
# The kinds of the staff activity pages and their downloads, in tab order.
ACTIVITY_PAGE_KINDS = {name: kind for name, kind in KINDS.items() if kind.on_activity_pages}
