"""The partner portal, under /portal/: a partner user's own profile, channel manager,
programme terms, SLA and requests, scorecard, activity and forms.

Every view is `partner_required` and gets everything through portal.selectors and
portal.services, which start from request.user: no URL, query string or form field
names a partner, so there is nothing to tamper with. A request id in a URL is looked
up among the partner's own requests only (another partner's is a 404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from prm.accounts.models import User
from prm.tenancy.clock import tenant_today
from prm.web.access import partner_required
from prm.web.forms import form_errors_from
from reporting.exports import activity_csv, invalid_form_answer
from reporting.forms import (
    KIND_FILTERS,
    ActivityFilterForm,
    CallEntryForm,
    ContactEntryForm,
    PeriodForm,
)
from reporting.kinds import CALLS, CONTACTS, ORDERS
from reporting.scorecard import PARTNER_TILES
from reporting.scorecard import scorecard as build_scorecard
from slas.calendar import CalendarError
from slas.models import MessageKind, PartnerRequest
from slas.selectors import request_conversation, sla_event_list
from slas.services import RequestClosedError, request_message_add

from . import selectors, services
from .forms import ProfileForm, RequestForm, RequestReplyForm

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    # partner_required let the request in, so the user is a signed-in tenant user.
    assert isinstance(request.user, User)
    return request.user


def _render(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    """Every portal page shows whose portal it is and the portal's own navigation."""
    partner = selectors.portal_partner(user=request.user)
    return render(request, template, {"partner": partner, "section": section, **context})


# --- overview and profile ---------------------------------------------------------------


@partner_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sla = selectors.portal_sla(user=user)
    return _render(
        request,
        "portal/home.html",
        "home",
        terms=selectors.portal_terms(user=user),
        sla=sla,
        recent_orders=list(selectors.portal_orders(user=user)[:5]),
    )


@partner_required
@require_safe
def profile(request: HttpRequest) -> HttpResponse:
    return _render(request, "portal/profile.html", "profile")


@partner_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    partner = selectors.portal_partner(user=user)
    form = ProfileForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        changes = form.changed_fields()
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect("portal:profile")
        try:
            services.portal_profile_update(user=user, **changes)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Your details are saved; your channel manager sees them.")
            return redirect("portal:profile")
    return _render(request, "portal/profile_form.html", "profile", form=form)


# --- scorecard ---------------------------------------------------------------------------


@partner_required
@require_safe
def scorecard(request: HttpRequest) -> HttpResponse:
    """The channel manager dashboard's tiles and charts (reporting.scorecard), for the
    partner's own rollups only, over a period it picks."""
    form = PeriodForm(request.GET)
    card = None
    if form.is_valid():
        card = build_scorecard(
            partners=selectors.portal_partners(user=request.user),
            period=form.chosen_period(),
            tiles=PARTNER_TILES,
            chart_prefix="portal",
        )
    return _render(request, "portal/scorecard.html", "scorecard", form=form, scorecard=card)


# --- SLA and requests -------------------------------------------------------------------


@partner_required
@require_safe
def sla(request: HttpRequest) -> HttpResponse:
    return _render(request, "portal/sla.html", "sla", sla=selectors.portal_sla(user=request.user))


@partner_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.portal_requests(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.portal_request_rows(list(page.object_list))
    # Paginated newest first; the page keeps that order (not the staff pages' urgency).
    order = {row.pk: position for position, row in enumerate(page.object_list)}
    rows.sort(key=lambda row: order[row["request"].pk])
    return _render(request, "portal/requests.html", "requests", page=page, rows=rows)


@partner_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner_request = services.portal_request_raise(
                user=_user(request),
                kind=form.cleaned_data["kind"],
                subject=form.cleaned_data["subject"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except CalendarError:
            form.add_error(
                None,
                "This request's deadlines cannot be placed in your SLA's support calendar "
                "(its working days, hours or holidays, or your own targets, leave no time "
                "for them); nothing was sent. Please tell your channel manager, who can "
                "have the SLA corrected.",
            )
        else:
            messages.success(
                request,
                f"Your request “{partner_request.subject}” is open; the SLA clock is running.",
            )
            return redirect("portal:request_detail", request_id=partner_request.pk)
    return _render(request, "portal/request_form.html", "requests", form=form)


@partner_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One of the partner's requests with its clocks and conversation; posting answers
    it (a note to the channel manager, slas.services.request_message_add)."""
    try:
        partner_request = selectors.portal_request_get(user=request.user, request_id=request_id)
    except PartnerRequest.DoesNotExist as error:
        raise Http404("You have no such request.") from error
    form = RequestReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_message_add(
                request=partner_request,
                author=_user(request),
                kind=MessageKind.NOTE,
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except RequestClosedError as error:
            messages.info(request, str(error))
            return redirect("portal:request_detail", request_id=partner_request.pk)
        else:
            messages.success(request, "Your answer is sent; your channel manager is told.")
            return redirect(
                reverse("portal:request_detail", kwargs={"request_id": partner_request.pk})
                + "#conversation"
            )
    row = selectors.portal_request_rows([partner_request])[0]
    events = sla_event_list(partner=partner_request.partner).filter(request=partner_request)
    return _render(
        request,
        "portal/request_detail.html",
        "requests",
        row=row,
        partner_request=partner_request,
        events=events,
        conversation=request_conversation(request=partner_request),
        form=form,
    )


# --- activity: lists, CSV exports, manual entry ----------------------------------------


def _csv(request: HttpRequest, kind: str, rows: QuerySet[Any]) -> HttpResponseBase:
    """The list's rows as CSV, with the list's filters (the page's query string)."""
    form = ActivityFilterForm(request.GET, kind=kind, partner=False)
    if not form.is_valid():
        return invalid_form_answer(form, "The filters are not valid")
    stamp = tenant_today().isoformat()
    rows = form.filters().narrow(rows, kind=kind)
    return activity_csv(kind=kind, rows=rows, filename=f"{kind}-{stamp}.csv")


def _activity_page(
    request: HttpRequest, template: str, section: str, kind: str, rows: QuerySet[Any]
) -> HttpResponse:
    """A list of the partner's own rows of `kind`, narrowed by the days and the kind's
    own filters (ActivityFilterForm without a partner: it is always the user's own),
    which the pages and the CSV link keep."""
    form = ActivityFilterForm(request.GET, kind=kind, partner=False)
    query = form.query() if form.is_valid() else {}
    rows = form.filters().narrow(rows, kind=kind) if form.is_valid() else rows.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        template,
        section,
        page=page,
        form=form,
        filters=[form[name] for name in ("from", "to", *KIND_FILTERS[kind])],
        filtered=form.is_valid() and form.filtered,
        page_query=urlencode(query),
    )


@partner_required
@require_safe
def orders(request: HttpRequest) -> HttpResponse:
    return _activity_page(
        request,
        "portal/orders.html",
        "orders",
        ORDERS,
        selectors.portal_orders(user=request.user),
    )


@partner_required
@require_safe
def orders_export(request: HttpRequest) -> HttpResponseBase:
    return _csv(request, ORDERS, selectors.portal_orders(user=request.user))


@partner_required
@require_safe
def calls(request: HttpRequest) -> HttpResponse:
    return _activity_page(
        request, "portal/calls.html", "calls", CALLS, selectors.portal_calls(user=request.user)
    )


@partner_required
@require_safe
def calls_export(request: HttpRequest) -> HttpResponseBase:
    return _csv(request, CALLS, selectors.portal_calls(user=request.user))


@partner_required
@require_safe
def contacts(request: HttpRequest) -> HttpResponse:
    return _activity_page(
        request,
        "portal/contacts.html",
        "contacts",
        CONTACTS,
        selectors.portal_contacts(user=request.user),
    )


@partner_required
@require_safe
def contacts_export(request: HttpRequest) -> HttpResponseBase:
    return _csv(request, CONTACTS, selectors.portal_contacts(user=request.user))


@partner_required
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    form = CallEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        errors = services.portal_call_log(user=_user(request), row=form.row())
        if not errors:
            messages.success(request, "The call is logged; your scorecard includes it shortly.")
            return redirect("portal:calls")
        form_errors_from(form, errors)
    return _render(
        request,
        "portal/entry_form.html",
        "calls",
        form=form,
        title="Log a call",
        back="portal:calls",
    )


@partner_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        errors = services.portal_contact_log(user=_user(request), row=form.row())
        if not errors:
            messages.success(request, "The contact is logged; your scorecard includes it shortly.")
            return redirect("portal:contacts")
        form_errors_from(form, errors)
    return _render(
        request,
        "portal/entry_form.html",
        "contacts",
        form=form,
        title="Log a contact",
        back="portal:contacts",
    )
