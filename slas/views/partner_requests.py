"""Pages of partner requests: the list (open ones by time left), a request with its
clocks, events and conversation, and opening, answering and resolving one.

Answering and resolving take a reply the partner reads, in three steps: write it
(the request's page, or the respond/resolve page the list's buttons open), review it
(a page that shows it as the partner will read it, who gets it by e-mail and what it
does to the clocks; nothing is stored or sent yet), and send it. The steps are
server-side forms, no script: the review page carries the text and a one-time token,
so sending twice stores and mails once."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from partners.selectors import partner_list_for_user
from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..calendar import CalendarError
from ..forms import PartnerRequestForm, RequestReplyForm
from ..models import MessageKind, PartnerRequest, RequestMessage
from ..templatetags.sla_markdown import render_message
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
    selectors.request_rows_with_latest_message(rows)
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
    form = RequestReplyForm(initial={"token": uuid.uuid4(), "next": request.path})
    return render(request, "slas/request_detail.html", _request_context(partner_request, form))


def _request_context(partner_request: PartnerRequest, form: RequestReplyForm) -> dict[str, Any]:
    return {
        "row": selectors.partner_request_rows([partner_request])[0],
        "partner_request": partner_request,
        "events": selectors.sla_event_list(partner=partner_request.partner).filter(
            request=partner_request
        ),
        "conversation": selectors.request_conversation(request=partner_request),
        "form": form,
        "section": "requests",
    }


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_respond(request: HttpRequest, request_id: int) -> HttpResponse:
    """Write, review and send a reply; the first one is the request's first response."""
    return _reply(request, request_id, MessageKind.RESPONSE)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_resolve(request: HttpRequest, request_id: int) -> HttpResponse:
    """Write, review and send the reply that resolves the request."""
    return _reply(request, request_id, MessageKind.RESOLUTION)


def _reply(request: HttpRequest, request_id: int, kind: str) -> HttpResponse:
    partner_request = request_or_404(request, request_id)
    detail = reverse("slas:request_detail", kwargs={"request_id": partner_request.pk})
    back = safe_next(request, request.POST.get("next") or request.GET.get("next"), detail)
    if partner_request.resolved_at is not None:
        messages.info(request, f"“{partner_request.subject}” was already resolved.")
        return redirect(back)
    if request.method == "POST":
        form = RequestReplyForm(request.POST)
        step = request.POST.get("step") or "review"
    else:
        form = RequestReplyForm(initial={"token": uuid.uuid4(), "next": back})
        step = "write"
    if step in ("review", "send") and form.is_valid():
        body = form.cleaned_data["body"]
        try:
            if step == "send":
                message = services.request_message_add(
                    request=partner_request,
                    author=actor(request),
                    kind=kind,
                    body=body,
                    token=form.cleaned_data["token"],
                )
            else:
                # The review runs the service's checks without its write, so an empty
                # or too long reply comes back to the form before it is shown as final.
                body = services.request_message_check(author=actor(request), kind=kind, body=body)
        except ValidationError as error:
            form_errors_from(form, error)
        except services.RequestClosedError as error:
            messages.info(request, str(error))
            return redirect(back)
        else:
            if step == "send":
                messages.success(request, _sent_message(message))
                return redirect(safe_next(request, form.cleaned_data["next"], detail))
            return render(
                request,
                "slas/request_reply_review.html",
                {
                    "partner_request": partner_request,
                    "form": form,
                    "kind": kind,
                    "body": body,
                    "preview": render_message(body),
                    "recipients": selectors.request_message_recipients(
                        request=partner_request, kind=kind
                    ),
                    "stops_first_response": partner_request.first_response_at is None,
                    "row": selectors.partner_request_rows([partner_request])[0],
                    "section": "requests",
                },
            )
    context = _request_context(partner_request, form)
    context["kind"] = kind
    return render(request, "slas/request_reply.html", context)


def _sent_message(message: RequestMessage) -> str:
    partner_request = message.request
    subject = partner_request.subject
    if message.kind == MessageKind.RESOLUTION:
        return f"“{subject}” is resolved; your reply is on its way to the partner."
    stopped = selectors.message_is_first_response(message=message, request=partner_request)
    return f"Your reply on “{subject}” is on its way to the partner." + (
        " The first-response clock stopped." if stopped else ""
    )
