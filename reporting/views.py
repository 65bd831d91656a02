"""Activity pages: recent activity, and manual entry of calls and contacts, which goes
through the same ingestion service as the API."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .exports import activity_csv, invalid_form_answer, safe_filename
from .forms import CallForm, ContactForm, PeriodForm
from .kinds import ACTIVITY_PAGE_KINDS, CALLS, CONTACTS, ORDERS
from .selectors import activity_list
from .services import manual_entry_record


@staff_required
def activity(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", ORDERS)
    if kind not in ACTIVITY_PAGE_KINDS:
        kind = ORDERS
    partner = request.GET.get("partner", "").strip()
    rows = activity_list(user=request.user, kind=kind, partner_ref=partner)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/activity.html",
        {
            "kind": kind,
            "kinds": ACTIVITY_PAGE_KINDS,
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
    return reverse("reporting:activity")


# --- the activity page's CSV ---------------------------------------------------------------


@staff_required
def activity_export(request: HttpRequest) -> HttpResponseBase:
    """Orders, calls or contacts (`kind`) as CSV, newest first, the activity API's field
    names; optionally one partner (`partner` ref) and a period (`from`, `to`, the
    tenant's days, on the order, call or contact time)."""
    kind = request.GET.get("kind", ORDERS)
    if kind not in ACTIVITY_PAGE_KINDS:
        return HttpResponse(
            "Choose kind=orders, kind=calls or kind=contacts.",
            status=400,
            content_type="text/plain",
        )
    partner = request.GET.get("partner", "").strip()
    period = None
    if request.GET.get("from") or request.GET.get("to"):
        form = PeriodForm({**request.GET.dict(), "period": "custom"})
        if not form.is_valid():
            return invalid_form_answer(form, "The period is not valid")
        period = form.chosen_period()
    rows = activity_list(user=request.user, kind=kind, partner_ref=partner, period=period)
    filename = safe_filename(request, f"{kind}-{partner}" if partner else kind, period)
    return activity_csv(kind=kind, rows=rows, filename=filename)
