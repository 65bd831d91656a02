"""Activity pages: recent activity, and manual entry of calls and contacts, which goes
through the same ingestion service as the API."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .exports import activity_csv, invalid_form_answer, safe_filename
from .forms import KIND_FILTERS, ActivityFilterForm, CallForm, ContactForm
from .kinds import ACTIVITY_PAGE_KINDS, CALLS, CONTACTS, ORDERS
from .selectors import activity_list, activity_partner_choices, activity_partner_lookup
from .services import manual_entry_record

PAGE_SIZE = 50
MATCHES_SHOWN = 5


@staff_required
def activity(request: HttpRequest) -> HttpResponse:
    """Orders, calls or contacts (`kind`), newest first, of the partners the user may
    see; filtered by ActivityFilterForm, the filters kept in the tabs, the pages and
    the CSV download."""
    kind = request.GET.get("kind", ORDERS)
    if kind not in ACTIVITY_PAGE_KINDS:
        kind = ORDERS
    form = ActivityFilterForm(request.GET, kind=kind)
    query: dict[str, str] = {}
    # The partners the text names: how many, and the first few to show by name.
    matched: list[tuple[str, str]] = []
    matched_count = 0
    unknown_partner = ""
    if form.is_valid():
        query = form.query()
        text = form.partner_text()
        match = activity_partner_lookup(user=request.user, text=text, shown=MATCHES_SHOWN)
        matched, matched_count = match.shown, match.count
        if match.partners is not None and not matched:
            unknown_partner = text
        rows = activity_list(
            user=request.user, kind=kind, partners=match.partners, filters=form.filters()
        )
    else:
        rows = activity_list(user=request.user, kind=kind).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Another tab keeps the partner and the days; the kind's own filters are its own.
    shared = {key: value for key, value in query.items() if key in ("partner", "from", "to")}
    one_partner = matched[0][0] if matched_count == 1 else ""
    return render(
        request,
        "reporting/activity.html",
        {
            "kind": kind,
            "kinds": ACTIVITY_PAGE_KINDS,
            "tabs": [
                (key, spec.label, urlencode({"kind": key, **shared}))
                for key, spec in ACTIVITY_PAGE_KINDS.items()
            ],
            "page": page,
            "form": form,
            "kind_filters": [form[name] for name in KIND_FILTERS.get(kind, ())],
            "query": urlencode({"kind": kind, **query}),
            "filtered": form.is_valid() and form.filtered,
            "matched": matched,
            "matched_count": matched_count,
            "matched_more": matched_count - len(matched),
            "unknown_partner": unknown_partner,
            "one_partner": one_partner,
            "partner_choices": activity_partner_choices(user=request.user),
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
    names; with the activity page's filters (ActivityFilterForm: a partner by name or
    ref, `from` and `to` as the tenant's days on the order, call or contact time, and
    the kind's own)."""
    kind = request.GET.get("kind", ORDERS)
    if kind not in ACTIVITY_PAGE_KINDS:
        return HttpResponse(
            "Choose kind=orders, kind=calls or kind=contacts.",
            status=400,
            content_type="text/plain",
        )
    form = ActivityFilterForm(request.GET, kind=kind)
    if not form.is_valid():
        return invalid_form_answer(form, "The filters are not valid")
    # (two shown: enough to know whether the file is one partner's)
    match = activity_partner_lookup(user=request.user, text=form.partner_text(), shown=2)
    filters = form.filters()
    rows = activity_list(user=request.user, kind=kind, partners=match.partners, filters=filters)
    table = f"{kind}-{match.shown[0][0]}" if len(match.shown) == 1 else kind
    days = _days_name(filters.first_day, filters.last_day)
    return activity_csv(kind=kind, rows=rows, filename=safe_filename(request, table, days=days))


def _days_name(first: date | None, last: date | None) -> str:
    """The download's days in its file name: "2026-01-01_2026-01-31", a range left
    open "from-2026-01-01" or "to-2026-01-31", none "all"."""
    if first and last:
        return f"{first:%Y-%m-%d}_{last:%Y-%m-%d}"
    if first:
        return f"from-{first:%Y-%m-%d}"
    if last:
        return f"to-{last:%Y-%m-%d}"
    return "all"
