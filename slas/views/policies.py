"""Pages of SLA policies: the list, a policy with its partners and versions, a
version against the one before, and the forms that create and change a policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from prm.web.access import programme_admin_required, staff_required
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..forms import PolicyForm
from ..models import TARGET_FIELDS, WEEKDAY_CHOICES, ReviewCadence
from ..templatetags.sla_tags import format_target, sla_field_label
from .common import actor, changed_labels, policy_or_404


@staff_required
def policy_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "slas/list.html",
        {
            "policies": selectors.sla_policy_list_with_usage(),
            "units": selectors.TARGET_UNITS,
            "section": "policies",
        },
    )


@staff_required
def policy_detail(request: HttpRequest, policy: str) -> HttpResponse:
    sla_policy = policy_or_404(policy)
    partners = selectors.sla_policy_partners(policy=sla_policy)
    return render(
        request,
        "slas/policy_detail.html",
        {
            "policy": sla_policy,
            "targets": [
                {
                    "field": field,
                    "value": getattr(sla_policy, field),
                    "unit": selectors.TARGET_UNITS[field],
                    "monthly": field in selectors.MONTHLY_MINIMUMS,
                }
                for field in TARGET_FIELDS
            ],
            "working_days": [
                label for day, label in WEEKDAY_CHOICES if day in sla_policy.working_days
            ],
            "versions": selectors.sla_policy_versions(policy=sla_policy),
            "partner_count": partners.count(),
            "partners": partners[:20],
            "section": "policies",
        },
    )


def _display(field: str, value: Any) -> str:
    """A field of a stored version (API form) as text for the version page."""
    if field in TARGET_FIELDS:
        return format_target(value, selectors.TARGET_UNITS[field])
    if value in (None, "", []):
        return "—"
    if field == "working_days":
        return ", ".join(label for day, label in WEEKDAY_CHOICES if day in value)
    if field == "holidays":
        return ", ".join(value)
    if field == "review_cadence":
        return str(ReviewCadence(value).label) if value in ReviewCadence.values else str(value)
    if field == "is_default":
        return "yes" if value else "no"
    return str(value)


@staff_required
def policy_version(request: HttpRequest, policy: str, number: int) -> HttpResponse:
    sla_policy = policy_or_404(policy)
    versions = selectors.sla_policy_versions(policy=sla_policy)
    version = get_object_or_404(versions, number=number)
    previous = versions.filter(number__lt=number).first()
    fields = [
        {
            "name": field,
            "label": sla_field_label(field),
            "value": _display(field, version.data.get(field)),
            "before": _display(field, previous.data.get(field)) if previous else None,
            "changed": field in version.changed_fields,
        }
        for field in services.POLICY_FIELDS
        if field != "policies"
    ]
    return render(
        request,
        "slas/policy_version.html",
        {
            "policy": sla_policy,
            "version": version,
            "previous": previous,
            "fields": fields,
            "policies_text": version.data.get("policies") or "",
            "policies_changed": "policies" in version.changed_fields,
            "section": "policies",
        },
    )


@programme_admin_required
def policy_new(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(
        request.POST or None,
        initial={"working_days": ["mon", "tue", "wed", "thu", "fri"]}
        | {"working_hours_start": "09:00", "working_hours_end": "17:00"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sla_policy, _changed = services.sla_policy_save(
                data=form.service_data(), policy=None, actor=actor(request), source="app"
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"The policy “{sla_policy.name}” is created (version 1).")
            return redirect("slas:policy_detail", policy=sla_policy.slug)
    return render(
        request, "slas/policy_form.html", {"form": form, "policy": None, "section": "policies"}
    )


@programme_admin_required
def policy_edit(request: HttpRequest, policy: str) -> HttpResponse:
    sla_policy = policy_or_404(policy)
    form = PolicyForm(
        request.POST or None,
        policy=sla_policy,
        initial=PolicyForm.initial_from(services.policy_data(sla_policy)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved, changed = services.sla_policy_save(
                data=form.service_data(), policy=sla_policy, actor=actor(request), source="app"
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            if changed:
                messages.success(
                    request,
                    f"Saved as version {saved.version}; changed: {changed_labels(changed)}. "
                    "Requests opened before keep the version they were opened under.",
                )
            else:
                messages.info(
                    request, f"Nothing changed; the policy stays at version {saved.version}."
                )
            return redirect("slas:policy_detail", policy=saved.slug)
    return render(
        request,
        "slas/policy_form.html",
        {"form": form, "policy": sla_policy, "section": "policies"},
    )
