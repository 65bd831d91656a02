"""Calls and contacts typed into a browser form: the staff activity pages and the
partner portal share the fields and the one write, which goes through ingest() so a
row from a form is validated, stored and counted in the rollups exactly like a row
sent to the API. Which partner a row belongs to is the caller's business: staff pick
one, the portal fixes it to the signed-in user's own."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from .ingest import ingest
from .models import CallDirection, Counterpart

CALLS = "calls"
CONTACTS = "contacts"


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser's date-and-time picker: its value must be `YYYY-MM-DDTHH:MM` (a
    localised "Dec. 2, 2026, 6:35 p.m." is dropped by the browser, so the default
    time never showed)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class CallEntryForm(forms.Form):
    direction = forms.ChoiceField(choices=CallDirection.choices)
    counterpart = forms.ChoiceField(
        choices=Counterpart.choices, help_text="Channel team: a call between you and the partner."
    )
    duration_minutes = forms.DecimalField(min_value=0, max_value=1440, decimal_places=1, initial=5)
    occurred_at = forms.DateTimeField(initial=timezone.now, widget=LocalDateTimeInput())

    def row(self) -> dict[str, Any]:
        """The cleaned input as an ingestion row of kind "calls", without its partner."""
        data = self.cleaned_data
        return {
            "direction": data["direction"],
            "counterpart": data["counterpart"],
            "duration_seconds": int(data["duration_minutes"] * 60),
            "occurred_at": data["occurred_at"].isoformat(),
        }


class ContactEntryForm(forms.Form):
    source = forms.CharField(max_length=100, required=False, help_text="e.g. web, event, referral")
    created_at = forms.DateTimeField(
        label="Generated at",
        initial=timezone.now,
        widget=LocalDateTimeInput(),
    )
    converted_at = forms.DateTimeField(required=False, widget=LocalDateTimeInput())

    def row(self) -> dict[str, Any]:
        """The cleaned input as an ingestion row of kind "contacts", without its partner."""
        data = self.cleaned_data
        return {
            "source": data["source"],
            "created_at": data["created_at"].isoformat(),
            "converted_at": data["converted_at"].isoformat() if data["converted_at"] else "",
        }


def manual_entry_record(
    *, kind: str, partner_ref: str, row: dict[str, Any]
) -> dict[str, list[str]]:
    """Store one row typed in a form for the partner `partner_ref`; returns the field
    errors (empty when it is stored). A new external_id each time: a form entry is a
    new event, never an update of an integrator's row."""
    if kind not in (CALLS, CONTACTS):
        raise ValueError(f"manual entry is for calls and contacts, not {kind}")
    result = ingest(
        kind=kind,
        rows=[{"external_id": f"manual-{uuid.uuid4()}", **row, "partner": partner_ref}],
        atomic=True,
    )
    if result.errors:
        return dict(result.errors[0]["errors"])
    return {}


def form_errors_from(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Put ingestion errors on the form fields they name (the rest on top)."""
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
