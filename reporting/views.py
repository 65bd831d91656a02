"""Activity pages: recent activity, and manual entry of calls and contacts, which goes
through the same ingestion service as the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prm.web.access import staff_required

from .forms import CallForm, ContactForm
from .ingest import ingest
from .models import Call, Lead, Order

KINDS = {
    "orders": (Order, "Orders"),
    "calls": (Call, "Calls"),
    "contacts": (Lead, "Contacts"),
}


@staff_required
def activity(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "orders")
    model, _label = KINDS.get(kind, KINDS["orders"])
    rows = model.objects.select_related("partner")  # type: ignore[attr-defined]
    partner = request.GET.get("partner", "").strip()
    if partner:
        rows = rows.filter(partner__ref=partner)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/activity.html",
        {
            "kind": kind if kind in KINDS else "orders",
            "kinds": KINDS,
            "page": page,
            "partner": partner,
        },
    )


def _record(request: HttpRequest, form: Any, kind: str, row: dict[str, Any]) -> bool:
    """Store one row through ingest(); its field errors go back onto the form."""
    result = ingest(kind=kind, rows=[{"external_id": f"manual-{uuid.uuid4()}", **row}])
    if result.errors:
        for field, field_messages in result.errors[0]["errors"].items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
        return False
    return True


@staff_required
def call_new(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, initial={"partner": request.GET.get("partner", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        row = {
            "partner": data["partner"],
            "direction": data["direction"],
            "counterpart": data["counterpart"],
            "duration_seconds": int(data["duration_minutes"] * 60),
            "occurred_at": data["occurred_at"].isoformat(),
        }
        if _record(request, form, "calls", row):
            messages.success(
                request, "The call is logged; the partner's metrics include it shortly."
            )
            return redirect(f"{_activity_url()}?kind=calls&partner={data['partner']}")
    return render(request, "reporting/entry_form.html", {"form": form, "title": "Log a call"})


@staff_required
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, initial={"partner": request.GET.get("partner", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        row = {
            "partner": data["partner"],
            "source": data["source"],
            "created_at": data["created_at"].isoformat(),
            "converted_at": data["converted_at"].isoformat() if data["converted_at"] else "",
        }
        if _record(request, form, "contacts", row):
            messages.success(
                request, "The contact is logged; the partner's metrics include it shortly."
            )
            return redirect(f"{_activity_url()}?kind=contacts&partner={data['partner']}")
    return render(request, "reporting/entry_form.html", {"form": form, "title": "Log a contact"})


def _activity_url() -> str:
    from django.urls import reverse

    return reverse("reporting:activity")
