"""Pages of partner requests: the list (open ones by time left), a request with its
clocks and events, and opening, answering and resolving one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners.selectors import partner_list_for_user
from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..calendar import CalendarError
from ..forms import PartnerRequestForm
from .common import actor, partner_or_404, request_or_404, safe_next, scope_of

REQUESTS_PAGE_SIZE = 50


@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    status = "closed" if request.GET.get("status") == "closed" else "open"
    requests = selectors.partner_request_list_for_user(user=request.user)
    if scope == "mine":
        requests = requests.filter(partner__channel_manager=actor(request))
    partner = None
    if request.GET.get("partner"):
        partner = partner_or_404(request, request.GET["partner"])
        requests = requests.filter(partner=partner)
    page: Page[Any]
    rows: list[dict[str, Any]]
    if status == "open":
        # Every open request is read to sort by time left; open work is bounded.
        page = Paginator(
            selectors.partner_request_rows(requests.filter(resolved_at__isnull=True)),
            REQUESTS_PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        rows = list(page.object_list)
    else:
        closed = requests.filter(resolved_at__isnull=False).order_by("-resolved_at", "-id")
        page = Paginator(closed, REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.partner_request_rows(list(page.object_list))
    return render(
        request,
        "slas/requests.html",
        {
            "page": page,
            "rows": rows,
            "scope": scope,
            "status": status,
            "partner": partner,
            "section": "requests",
        },
    )


@staff_required
def request_new(request: HttpRequest) -> HttpResponse:
    partners = partner_list_for_user(user=request.user)
    form = PartnerRequestForm(
        request.POST or None, partners=partners, initial={"partner": request.GET.get("partner")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                partner_request = services.partner_request_open(
                    partner=form.cleaned_data["partner"],
                    kind=form.cleaned_data["kind"],
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    raised_by=actor(request),
                )
        except ValidationError as error:
            form_errors_from(form, error)
        except CalendarError as error:
            # The partner's policy or own targets were stored before slas.rules held
            # them: the service says which and who can fix it; no crash.
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"The request “{partner_request.subject}” is open; its clocks run."
            )
            return redirect("slas:request_detail", request_id=partner_request.pk)
    return render(request, "slas/request_form.html", {"form": form, "section": "requests"})


@staff_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    partner_request = request_or_404(request, request_id)
    row = selectors.partner_request_rows([partner_request])[0]
    events = selectors.sla_event_list(partner=partner_request.partner).filter(
        request=partner_request
    )
    return render(
        request,
        "slas/request_detail.html",
        {"row": row, "partner_request": partner_request, "events": events, "section": "requests"},
    )


@staff_required
@require_POST
def request_respond(request: HttpRequest, request_id: int) -> HttpResponse:
    partner_request = request_or_404(request, request_id)
    if partner_request.first_response_at is not None or partner_request.resolved_at is not None:
        messages.info(request, f"“{partner_request.subject}” already had its first response.")
    else:
        with transaction.atomic():
            services.partner_request_respond(request=partner_request)
        messages.success(
            request, f"First response recorded for “{partner_request.subject}”; that clock stopped."
        )
    default = reverse("slas:request_detail", kwargs={"request_id": partner_request.pk})
    return redirect(safe_next(request, request.POST.get("next"), default))


@staff_required
@require_POST
def request_resolve(request: HttpRequest, request_id: int) -> HttpResponse:
    partner_request = request_or_404(request, request_id)
    if partner_request.resolved_at is not None:
        messages.info(request, f"“{partner_request.subject}” was already resolved.")
    else:
        with transaction.atomic():
            services.partner_request_resolve(request=partner_request)
        messages.success(request, f"“{partner_request.subject}” is resolved; its clocks stopped.")
    default = reverse("slas:request_detail", kwargs={"request_id": partner_request.pk})
    return redirect(safe_next(request, request.POST.get("next"), default))
