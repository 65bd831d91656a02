"""Browser pages of SLA policies and compliance, under /slas/.

Administrators edit policies and choose the default; channel managers (and
administrators) see policies, compliance and partner requests, and raise and answer
requests; a partner's own targets are set by its channel manager or an administrator
(the rules are prm.web.access's, the same the API asks). Partner users are refused here (they get
their own portal). The notification list is every signed-in user's own.

Views are thin: a form reads the input, a service in slas.services writes, a selector
reads, and a service's ValidationError comes back as inline form errors.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from partners.models import Partner
from partners.selectors import partner_get_for_user, partner_list_for_user
from prm.accounts.models import Role, User
from prm.web.access import (
    PARTNER_TARGETS_REFUSAL,
    login_required,
    may_set_partner_targets,
    programme_admin_required,
    staff_required,
)

from . import selectors, services
from .calendar import CalendarError
from .forms import DefaultPolicyForm, OverrideForm, PartnerRequestForm, PolicyForm
from .models import TARGET_FIELDS, WEEKDAY_CHOICES, PartnerRequest, ReviewCadence, SlaPolicy
from .templatetags.sla_tags import format_target, sla_field_label

COMPLIANCE_PAGE_SIZE = 25
REQUESTS_PAGE_SIZE = 50
NOTIFICATIONS_PAGE_SIZE = 50


# --- helpers ------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    # An access decorator let the request in, so the user is a signed-in tenant user.
    assert isinstance(request.user, User)
    return request.user


def _form_errors_from(form: Form, error: ValidationError) -> None:
    """Put a service's messages on the form fields they name (the rest on top)."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _policy_or_404(slug: str) -> SlaPolicy:
    return get_object_or_404(selectors.sla_policy_list(), slug=slug)


def _partner_or_404(request: HttpRequest, ref: str) -> Partner:
    try:
        return partner_get_for_user(user=request.user, ref=ref)
    except Partner.DoesNotExist as error:
        raise Http404("There is no such partner.") from error


def _request_or_404(request: HttpRequest, request_id: int) -> PartnerRequest:
    return get_object_or_404(
        selectors.partner_request_list_for_user(user=request.user), pk=request_id
    )


def _safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def _scope(request: HttpRequest) -> str:
    """ "mine" (partners I manage) or "all"; managers start with their own."""
    scope = request.GET.get("scope")
    if scope in ("mine", "all"):
        return scope
    return "mine" if _actor(request).role == Role.MANAGER else "all"


def _changed_labels(fields: list[str]) -> str:
    return ", ".join(sla_field_label(field).lower() for field in fields)


# --- policies -------------------------------------------------------------------------


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
    sla_policy = _policy_or_404(policy)
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
    sla_policy = _policy_or_404(policy)
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
                data=form.service_data(), policy=None, actor=_actor(request), source="app"
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"The policy “{sla_policy.name}” is created (version 1).")
            return redirect("slas:policy_detail", policy=sla_policy.slug)
    return render(
        request, "slas/policy_form.html", {"form": form, "policy": None, "section": "policies"}
    )


@programme_admin_required
def policy_edit(request: HttpRequest, policy: str) -> HttpResponse:
    sla_policy = _policy_or_404(policy)
    form = PolicyForm(
        request.POST or None,
        policy=sla_policy,
        initial=PolicyForm.initial_from(services.policy_data(sla_policy)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved, changed = services.sla_policy_save(
                data=form.service_data(), policy=sla_policy, actor=_actor(request), source="app"
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            if changed:
                messages.success(
                    request,
                    f"Saved as version {saved.version}; changed: {_changed_labels(changed)}. "
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
        chosen = _policy_or_404(form.cleaned_data["policy"])
        if chosen.pk == default.pk:
            messages.info(request, f"“{chosen.name}” is already the default policy.")
            return redirect("slas:settings")
        try:
            services.sla_policy_save(
                data={"is_default": True}, policy=chosen, actor=_actor(request), source="app"
            )
        except ValidationError as error:
            _form_errors_from(form, error)
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


# --- compliance -----------------------------------------------------------------------

COMPLIANCE_STATES = {
    "problems": ("breached", "at_risk"),
    "breached": ("breached",),
    "at_risk": ("at_risk",),
}


@staff_required
def compliance(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    partners = partner_list_for_user(user=request.user)
    if scope == "mine":
        partners = partners.filter(channel_manager=_actor(request))
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


# --- partner requests -----------------------------------------------------------------


@staff_required
def request_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    status = "closed" if request.GET.get("status") == "closed" else "open"
    requests = selectors.partner_request_list_for_user(user=request.user)
    if scope == "mine":
        requests = requests.filter(partner__channel_manager=_actor(request))
    partner = None
    if request.GET.get("partner"):
        partner = _partner_or_404(request, request.GET["partner"])
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
                    raised_by=_actor(request),
                )
        except ValidationError as error:
            _form_errors_from(form, error)
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
    partner_request = _request_or_404(request, request_id)
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
    partner_request = _request_or_404(request, request_id)
    if partner_request.first_response_at is not None or partner_request.resolved_at is not None:
        messages.info(request, f"“{partner_request.subject}” already had its first response.")
    else:
        with transaction.atomic():
            services.partner_request_respond(request=partner_request)
        messages.success(
            request, f"First response recorded for “{partner_request.subject}”; that clock stopped."
        )
    default = reverse("slas:request_detail", kwargs={"request_id": partner_request.pk})
    return redirect(_safe_next(request, request.POST.get("next"), default))


@staff_required
@require_POST
def request_resolve(request: HttpRequest, request_id: int) -> HttpResponse:
    partner_request = _request_or_404(request, request_id)
    if partner_request.resolved_at is not None:
        messages.info(request, f"“{partner_request.subject}” was already resolved.")
    else:
        with transaction.atomic():
            services.partner_request_resolve(request=partner_request)
        messages.success(request, f"“{partner_request.subject}” is resolved; its clocks stopped.")
    default = reverse("slas:request_detail", kwargs={"request_id": partner_request.pk})
    return redirect(_safe_next(request, request.POST.get("next"), default))


# --- a partner's own targets ------------------------------------------------------------


@staff_required
def partner_override(request: HttpRequest, ref: str) -> HttpResponse:
    partner = _partner_or_404(request, ref)
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
                    partner=partner, targets=targets, actor=_actor(request)
                )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            own = [field for field, value in targets.items() if value not in ("", None)]
            messages.success(
                request,
                f"{partner.name} now inherits every target of {partner.sla.name}."
                if not own
                else f"{partner.name} has its own {_changed_labels(own)}; "
                f"the rest comes from {partner.sla.name}.",
            )
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#sla")
    return render(
        request,
        "slas/override_form.html",
        {"form": form, "partner": partner, "policy": partner.sla, "section": "compliance"},
    )


# --- notifications ----------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notifications = selectors.notification_list(user=request.user, unread_only=unread_only)
    page = Paginator(notifications, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "slas/notifications.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.notification_list(
                user=request.user, unread_only=True
            ).count(),
            "section": "notifications",
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        selectors.notification_list(user=request.user), pk=notification_id
    )
    services.notifications_mark_read(user=_actor(request), notification_id=notification.pk)
    if "open" in request.POST and notification.link:
        return redirect(_safe_next(request, notification.link, reverse("slas:notifications")))
    return redirect(_safe_next(request, request.POST.get("next"), reverse("slas:notifications")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=_actor(request))
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked read.")
    return redirect("slas:notifications")
