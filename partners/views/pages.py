"""A partner's own pages: create, edit, the partner page (the registry's part: record,
contacts, status history, audit, programme terms; apps above add their sections through
partners.page_sections), status changes and termination."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prm.web.access import staff_required
from prm.web.forms import form_errors_from

from .. import page_sections, policies, selectors, services
from ..forms import PartnerForm, StatusChangeForm, TerminateForm
from ..models import Partner, PartnerStatus
from ..validators import display_domain
from .audit import audit_rows
from .common import acting_user, partner_or_404


@staff_required
def partner_new(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = PartnerForm(
        request.POST or None,
        initial={"channel_manager": actor.email, "sla": _default_sla_slug()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(
                actor=actor, reason="created in the registry", **form.service_fields()
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{partner.name} is in the registry.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/form.html", {"form": form, "partner": None})


def _default_sla_slug() -> str:
    policy = policies.directory().default()
    return policy.slug if policy else ""


@staff_required
def partner_edit(request: HttpRequest, ref: str) -> HttpResponse:
    partner = partner_or_404(request, ref)
    form = PartnerForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(
                partner=partner, actor=acting_user(request), **form.service_fields()
            )
        except ValidationError as error:
            form_errors_from(form, error)
            # The service set the refused values on the instance; show the saved ones.
            partner = partner_or_404(request, ref)
        else:
            messages.success(request, f"{partner.name} is saved.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/form.html", {"form": form, "partner": partner})


def _terms(partner: Partner) -> list[dict[str, Any]]:
    return selectors.programme_terms(
        partner=partner,
        labels={
            "roles": "Roles",
            "responsibilities": "Responsibilities",
            "benefits": "Benefits",
        },
        own_source="this partner",
    )


@staff_required
def partner_detail(request: HttpRequest, ref: str) -> HttpResponse:
    partner = partner_or_404(request, ref)
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "domain_display": display_domain(partner.domain),
            "contacts": selectors.contact_list(partner=partner),
            "status_changes": selectors.status_change_list(partner=partner),
            "audit": audit_rows(selectors.audit_entries(partner=partner)),
            "allowed_transitions": services.allowed_transitions(partner.status),
            "terms": _terms(partner),
            **page_sections.sections_context(request, partner),
        },
    )


@staff_required
def partner_status(request: HttpRequest, ref: str) -> HttpResponse:
    partner = partner_or_404(request, ref)
    allowed = services.allowed_transitions(partner.status)
    form = StatusChangeForm(request.POST or None, allowed=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_transition(
                partner=partner,
                to_status=form.cleaned_data["status"],
                actor=acting_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
            partner = partner_or_404(request, ref)
        else:
            messages.success(
                request, f"{partner.name} is now {partner.get_status_display().lower()}."
            )
            return redirect("partners:detail", ref=partner.ref)
    return render(
        request,
        "partners/status.html",
        {"form": form, "partner": partner},
    )


@staff_required
def partner_terminate(request: HttpRequest, ref: str) -> HttpResponse:
    """Partners are terminated, not deleted: the record, its history and its activity
    stay, and the status history says who ended it and why."""
    partner = partner_or_404(request, ref)
    form = TerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_transition(
                partner=partner,
                to_status=PartnerStatus.TERMINATED,
                actor=acting_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{partner.name} is terminated.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/terminate.html", {"form": form, "partner": partner})
