"""The partner page's audit history for people: field labels instead of names,
related rows by name instead of id, choices by label, products by SKU."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from .. import selectors
from ..models import Contact, Partner

# Fields whose history holds a related row's id; shown by the row's name.
FOREIGN_KEYS = ("channel_manager", "sla", "tier")


def _model_field(model: type[Partner] | type[Contact], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed still has history
        return None


def audit_rows(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The selector's audit entries for people: field labels instead of names, related
    rows by name instead of id, choices by label, products by SKU."""
    entries = list(entries)
    wanted: dict[str, set[Any]] = {name: set() for name in FOREIGN_KEYS}
    for entry in entries:
        if entry["what"].startswith("contact"):
            continue
        for change in entry["changes"]:
            if change["field"] in FOREIGN_KEYS:
                wanted[change["field"]].update({change["old"], change["new"]} - {None, ""})
    names: dict[str, dict[Any, str]] = {
        field: selectors.related_names(field=field, ids=ids)
        for field in FOREIGN_KEYS
        if (ids := wanted[field])
    }
    rows = []
    for entry in entries:
        model: type[Partner] | type[Contact] = (
            Contact if entry["what"].startswith("contact") else Partner
        )
        changes = []
        for change in entry["changes"]:
            field = _model_field(model, change["field"])
            labels = names.get(change["field"], {}) if model is Partner else {}
            if field is not None and field.choices and not labels:
                labels = {str(value): str(label) for value, label in field.flatchoices}
            changes.append(
                {
                    "field": str(field.verbose_name) if field else change["field"],
                    "old": _audit_value(change["old"], labels),
                    "new": _audit_value(change["new"], labels),
                }
            )
        rows.append({**entry, "changes": changes})
    return rows


def _audit_value(value: Any, labels: Mapping[Any, str]) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list | tuple):
        # Products come as SKUs; through rows ({"partner": id, "product": id}) as ids.
        return ", ".join(
            str(item.get("product")) if isinstance(item, dict) else str(item) for item in value
        )
    label = labels.get(value) or labels.get(str(value))
    if label:
        return label
    # A related row deleted since is known by its id only.
    return f"#{value} (deleted)" if labels and isinstance(value, int) else str(value)
