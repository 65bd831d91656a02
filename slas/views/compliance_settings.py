"""Pages of compliance and settings: the compliance of the partners in scope, a
partner's own targets, and the tenant's SLA settings (the default policy, and the
default as a file for `manage.py sla_defaults`)."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from partners.selectors import partner_list_for_user
from prm.web.access import (
    PARTNER_TARGETS_REFUSAL,
    may_set_partner_targets,
    programme_admin_required,
    staff_required,
)
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..forms import DefaultPolicyForm, OverrideForm
from ..models import TARGET_FIELDS
from .common import (
    actor,
    changed_labels,
    partner_or_404,
    policy_or_404,
    scope_of,
)

COMPLIANCE_PAGE_SIZE = 25
COMPLIANCE_STATES = {
    "problems": ("breached", "at_risk"),
    "breached": ("breached",),
    "at_risk": ("at_risk",),
}


@staff_required
def compliance(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    partners = partner_list_for_user(user=request.user)
    if scope == "mine":
        partners = partners.filter(channel_manager=actor(request))
    summary = selectors.sla_compliance(partners=partners)
    state = request.GET.get("state", "")
    rows = summary["rows"]
    if state in COMPLIANCE_STATES:
        rows = [row for row in rows if row["state"] in COMPLIANCE_STATES[state]]
    else:
        state = ""
    page = Paginator(rows, COMPLIANCE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "slas/compliance.html",
        {
            "summary": summary,
            "page": page,
            "scope": scope,
            "state": state,
            "section": "compliance",
            "now": timezone.now(),
        },
    )


@staff_required
def partner_override(request: HttpRequest, ref: str) -> HttpResponse:
    partner = partner_or_404(request, ref)
    if not may_set_partner_targets(request.user, partner):
        raise PermissionDenied(PARTNER_TARGETS_REFUSAL)
    initial = {
        target.field: (target.value if target.overridden else "")
        for target in selectors.effective_targets(partner)
    }
    form = OverrideForm(request.POST or None, policy=partner.sla, initial=initial)
    if request.method == "POST" and form.is_valid():
        inherit_all = "inherit_all" in request.POST
        targets = {
            field: "" if inherit_all else form.cleaned_data[field] for field in TARGET_FIELDS
        }
        try:
            with transaction.atomic():
                services.partner_sla_override_set(
                    partner=partner, targets=targets, actor=actor(request)
                )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            own = [field for field, value in targets.items() if value not in ("", None)]
            messages.success(
                request,
                f"{partner.name} now inherits every target of {partner.sla.name}."
                if not own
                else f"{partner.name} has its own {changed_labels(own)}; "
                f"the rest comes from {partner.sla.name}.",
            )
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#sla")
    return render(
        request,
        "slas/override_form.html",
        {"form": form, "partner": partner, "policy": partner.sla, "section": "compliance"},
    )


class _BlockTextDumper(yaml.SafeDumper):
    """Writes multi-line text (the policies) as a readable `|` block."""


def _text_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockTextDumper.add_representer(str, _text_representer)


@programme_admin_required
def sla_settings(request: HttpRequest) -> HttpResponse:
    policies = selectors.sla_policy_list()
    default = selectors.sla_policy_default()
    form = DefaultPolicyForm(
        request.POST or None, policies=policies, initial={"policy": default.slug}
    )
    if request.method == "POST" and form.is_valid():
        chosen = policy_or_404(form.cleaned_data["policy"])
        if chosen.pk == default.pk:
            messages.info(request, f"“{chosen.name}” is already the default policy.")
            return redirect("slas:settings")
        try:
            services.sla_policy_save(
                data={"is_default": True}, policy=chosen, actor=actor(request), source="app"
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                f"“{chosen.name}” is now the default policy: new partners get it unless "
                "another is chosen. Existing partners keep their policy.",
            )
            return redirect("slas:settings")
    as_file = yaml.dump(
        {k: v for k, v in services.policy_data(default).items() if k != "is_default"},
        Dumper=_BlockTextDumper,
        sort_keys=False,
        allow_unicode=True,
    )
    return render(
        request,
        "slas/settings.html",
        {
            "form": form,
            "default": default,
            "as_file": as_file,
            "tenant_slug": getattr(getattr(request, "tenant", None), "slug", "SLUG"),
            "section": "settings",
        },
    )
