"""Activity pages: recent activity, and manual entry of calls and contacts, which goes
through the same ingestion service as the API."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prm.web.access import staff_required

from .forms import CallForm, ContactForm
from .manual_entry import CALLS, CONTACTS, form_errors_from, manual_entry_record
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


@staff_required
def call_new(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, initial={"partner": request.GET.get("partner", "")})
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        errors = manual_entry_record(kind=CALLS, partner_ref=partner, row=form.row())
        if not errors:
            messages.success(
                request, "The call is logged; the partner's metrics include it shortly."
            )
            return redirect(f"{_activity_url()}?kind=calls&partner={partner}")
        form_errors_from(form, errors)
    return render(request, "reporting/entry_form.html", {"form": form, "title": "Log a call"})


@staff_required
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, initial={"partner": request.GET.get("partner", "")})
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        errors = manual_entry_record(kind=CONTACTS, partner_ref=partner, row=form.row())
        if not errors:
            messages.success(
                request, "The contact is logged; the partner's metrics include it shortly."
            )
            return redirect(f"{_activity_url()}?kind=contacts&partner={partner}")
        form_errors_from(form, errors)
    return render(request, "reporting/entry_form.html", {"form": form, "title": "Log a contact"})


def _activity_url() -> str:
    from django.urls import reverse

    return reverse("reporting:activity")
