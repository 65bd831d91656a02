"""Browser pages of the registry, for vendor staff (administrators and channel
managers); partner users are refused here and have their own portal.

Views are thin: a form reads the input, a service writes, a selector reads, and a
service's ValidationError comes back as inline form errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

import tablib
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from prm.accounts.models import User
from prm.web.access import staff_required
from prm.web.markdown import markdown_to_html
from reporting.dashboard import PARTNER_TILES, scorecard
from reporting.dashboard_forms import PeriodForm
from reporting.selectors import order_list_latest
from slas.models import SlaPolicy
from slas.selectors import partner_sla_panel

from . import selectors, services
from .dns import DnsStatus
from .filters import PartnerFilter
from .forms import (
    SORTS,
    ContactForm,
    PartnerForm,
    PartnerListForm,
    ReassignForm,
    StatusChangeForm,
    TerminateForm,
)
from .models import Contact, Partner, PartnerStatus, Tier
from .validators import display_domain

# Columns of the export: the API's field names, in the API's order.
EXPORT_COLUMNS = (
    "ref",
    "name",
    "domain",
    "phone",
    "contact_name",
    "contact_email",
    "contact_phone",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "primary_dns",
    "secondary_dns",
    "products",
    "sla",
    "channel_manager",
    "tier",
    "status",
    "tags",
)
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet would run a cell that starts like this as a formula.
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PHONE_NUMBER = re.compile(r"^\+\d+$")


# --- helpers shared by the views ------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    # staff_required let the request in, so the user is a signed-in tenant user.
    assert isinstance(request.user, User)
    return request.user


def _partner_or_404(request: HttpRequest, ref: str) -> Partner:
    try:
        return selectors.partner_get_for_user(user=request.user, ref=ref)
    except Partner.DoesNotExist as error:
        raise Http404("There is no such partner.") from error


def _form_errors_from(form: Form, error: ValidationError) -> None:
    """Put a service's messages on the form fields they name (the rest on top)."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _reverse_or_none(name: str) -> str | None:
    # Pages of apps still being built (the import flow) may not be mounted yet.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _query(data: QueryDict, **changes: Any) -> str:
    """The query string of `data` with `changes` (None removes a key), e.g. "?q=x&page=2"."""
    query = data.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _markdown(text: str) -> str:
    """Programme terms are Markdown written by staff; rendered, then sanitised."""
    return markdown_to_html(text)


def _safe_next(request: HttpRequest, value: str, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


# --- list, "my partners" and export ---------------------------------------------------


def _filtered(request: HttpRequest, *, mine: bool) -> tuple[QuerySet[Partner], PartnerListForm]:
    """The partners the list shows for these query parameters, in the chosen order."""
    partners = selectors.partner_list_for_user(user=request.user)
    if mine:
        partners = partners.filter(channel_manager=_actor(request))
    form = PartnerListForm(request.GET)
    form.is_valid()  # invalid values are ignored, like the API does
    filtered = PartnerFilter(request.GET, queryset=partners).qs
    return filtered.order_by(*form.ordering()), form


def _status_counts(request: HttpRequest, *, mine: bool) -> dict[str, int]:
    """How many partners each status has under the other filters (the status tabs)."""
    partners = selectors.partner_list_for_user(user=request.user)
    if mine:
        partners = partners.filter(channel_manager=_actor(request))
    data = request.GET.copy()
    data.pop("status", None)
    return selectors.partner_status_counts(PartnerFilter(data, queryset=partners).qs)


def _sort_links(data: QueryDict, current: str) -> dict[str, dict[str, str]]:
    links = {}
    for key in SORTS:
        if current == key:
            links[key] = {"url": _query(data, sort=f"-{key}", page=None), "aria": "ascending"}
        elif current == f"-{key}":
            links[key] = {"url": _query(data, sort=key, page=None), "aria": "descending"}
        else:
            links[key] = {"url": _query(data, sort=key, page=None), "aria": "none"}
    return links


def _partner_list_page(request: HttpRequest, *, mine: bool) -> HttpResponse:
    partners, form = _filtered(request, mine=mine)
    page = Paginator(partners, form.page_size()).get_page(request.GET.get("page"))
    counts = _status_counts(request, mine=mine)
    chosen_statuses = request.GET.getlist("status")
    status_tabs = [
        {
            "value": value,
            "label": label,
            "count": counts[value],
            "active": chosen_statuses == [value],
            "url": _query(request.GET, status=value, page=None),
        }
        for value, label in PartnerStatus.choices
    ]
    export_query = request.GET.copy()
    for key in ("page", "per_page"):
        export_query.pop(key, None)
    if mine:
        export_query["channel_manager"] = _actor(request).email
    current_sort = request.GET.get("sort") or "name"
    return render(
        request,
        "partners/list.html",
        {
            "mine": mine,
            "form": form,
            "page": page,
            "partners": page.object_list,
            "total": page.paginator.count,
            "all_count": sum(counts.values()),
            "status_tabs": status_tabs,
            "all_statuses_url": _query(request.GET, status=None, page=None),
            "no_status_chosen": not chosen_statuses,
            "chosen_statuses": chosen_statuses,
            "sort_links": _sort_links(request.GET, current_sort),
            "page_url": _query(request.GET, page=None),
            "export_csv_url": reverse("partners:export") + _query(export_query, format="csv"),
            "export_xlsx_url": reverse("partners:export") + _query(export_query, format="xlsx"),
            "import_url": _reverse_or_none("partner_import:start"),
            "reassign_form": ReassignForm(initial={"next": request.get_full_path()}),
            "filtered": any(
                request.GET.get(key)
                for key in ("q", "tier", "country", "channel_manager", "product")
            ),
            "page_numbers": page.paginator.get_elided_page_range(
                page.number, on_each_side=1, on_ends=1
            ),
        },
    )


@staff_required
def partner_list(request: HttpRequest) -> HttpResponse:
    return _partner_list_page(request, mine=False)


@staff_required
def partner_list_mine(request: HttpRequest) -> HttpResponse:
    return _partner_list_page(request, mine=True)


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs (E.164 numbers stay as they are)."""
    if FORMULA_START.match(value) and not PHONE_NUMBER.match(value):
        return "'" + value
    return value


def _export_row(partner: Partner) -> list[str]:
    values = {
        "ref": partner.ref,
        "name": partner.name,
        "domain": partner.domain,
        "phone": str(partner.phone or ""),
        "contact_name": partner.contact_name,
        "contact_email": partner.contact_email,
        "contact_phone": str(partner.contact_phone or ""),
        "street": partner.street,
        "city": partner.city,
        "region": partner.region,
        "postal_code": partner.postal_code,
        "country": str(partner.country or ""),
        "primary_dns": partner.primary_dns,
        "secondary_dns": partner.secondary_dns,
        "products": ";".join(product.sku for product in partner.products.all()),
        "sla": partner.sla.slug,
        "channel_manager": partner.channel_manager.email,
        "tier": partner.tier.slug if partner.tier else "",
        "status": partner.status,
        "tags": ";".join(partner.tags),
    }
    return [_cell(values[column]) for column in EXPORT_COLUMNS]


@staff_required
def partner_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered, every page of it, as CSV or XLSX."""
    file_format = request.GET.get("format", "csv")
    if file_format not in EXPORT_FORMATS:
        return HttpResponse(
            "Choose format=csv or format=xlsx.", status=400, content_type="text/plain"
        )
    partners, _form = _filtered(request, mine=False)
    dataset = tablib.Dataset(headers=list(EXPORT_COLUMNS), title="Partners")
    for partner in partners.iterator(chunk_size=500):
        dataset.append(_export_row(partner))
    content = dataset.export(file_format)
    tenant = getattr(request, "tenant", None)
    filename = f"partners-{getattr(tenant, 'slug', 'export')}-{date.today():%Y%m%d}.{file_format}"
    response = HttpResponse(content, content_type=EXPORT_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- create, detail, edit -------------------------------------------------------------


@staff_required
def partner_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
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
            _form_errors_from(form, error)
        else:
            messages.success(request, f"{partner.name} is in the registry.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/form.html", {"form": form, "partner": None})


def _default_sla_slug() -> str:
    policy = SlaPolicy.objects.filter(is_default=True).only("slug").first()
    return policy.slug if policy else ""


@staff_required
def partner_edit(request: HttpRequest, ref: str) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    form = PartnerForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(partner=partner, actor=_actor(request), **form.service_fields())
        except ValidationError as error:
            _form_errors_from(form, error)
            # The service set the refused values on the instance; show the saved ones.
            partner = _partner_or_404(request, ref)
        else:
            messages.success(request, f"{partner.name} is saved.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/form.html", {"form": form, "partner": partner})


def _terms(partner: Partner) -> list[dict[str, Any]]:
    terms = []
    for field, label in (
        ("roles", "Roles"),
        ("responsibilities", "Responsibilities"),
        ("benefits", "Benefits"),
    ):
        own = getattr(partner, field)
        terms.append(
            {
                "label": label,
                "html": _markdown(getattr(partner, f"effective_{field}")),
                "source": "this partner" if own else ("tier" if partner.tier else ""),
            }
        )
    return terms


@staff_required
def partner_detail(request: HttpRequest, ref: str) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "domain_display": display_domain(partner.domain),
            "contacts": selectors.contact_list(partner=partner),
            "status_changes": selectors.status_change_list(partner=partner),
            "audit": _audit_rows(selectors.audit_entries(partner=partner)),
            "allowed_transitions": services.allowed_transitions(partner.status),
            "terms": _terms(partner),
            "sla_list_url": _reverse_or_none("slas:list"),
            "sla_panel": partner_sla_panel(partner=partner),
            **_performance(request, partner),
        },
    )


def _performance(request: HttpRequest, partner: Partner) -> dict[str, Any]:
    """The partner's scorecard from the rollups (tiles with the change against the
    previous period, charts with their tables) for the chosen period, last 30 days by
    default, and its latest orders (a LIMITed read of the (partner, ordered_at) index)."""
    form = PeriodForm(request.GET, default="30d")
    card = None
    if form.is_valid():
        card = scorecard(
            partners=Partner.objects.filter(pk=partner.pk),
            period=form.chosen_period(),
            tiles=PARTNER_TILES,
            chart_prefix="partner-chart",
        )
    query = urlencode({"partner": partner.ref, **(form.query() if card else {})})
    return {
        "period_form": form,
        "scorecard": card,
        "last_orders": order_list_latest(partner=partner),
        "activity_csv": {
            kind: f"{reverse('reporting:activity_export')}?kind={kind}&{query}"
            for kind in ("orders", "calls", "contacts")
        },
    }


# --- audit history for people ---------------------------------------------------------

FOREIGN_KEYS: dict[str, Any] = {
    "channel_manager": User,
    "sla": SlaPolicy,
    "tier": Tier,
}


def _model_field(model: type[Partner] | type[Contact], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed still has history
        return None


def _audit_rows(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The selector's audit entries for people: field labels instead of names, related
    rows by name instead of id, choices by label, products by SKU."""
    entries = list(entries)
    wanted: dict[str, set[Any]] = {name: set() for name in FOREIGN_KEYS}
    for entry in entries:
        if entry["what"].startswith("contact"):
            continue
        for change in entry["changes"]:
            if change["field"] in FOREIGN_KEYS:
                wanted[change["field"]].update({change["old"], change["new"]} - {None, ""})
    names: dict[str, dict[Any, str]] = {
        field: {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
        for field, model in FOREIGN_KEYS.items()
        if (ids := wanted[field])
    }
    rows = []
    for entry in entries:
        model: type[Partner] | type[Contact] = (
            Contact if entry["what"].startswith("contact") else Partner
        )
        changes = []
        for change in entry["changes"]:
            field = _model_field(model, change["field"])
            labels = names.get(change["field"], {}) if model is Partner else {}
            if field is not None and field.choices and not labels:
                labels = {str(value): str(label) for value, label in field.flatchoices}
            changes.append(
                {
                    "field": str(field.verbose_name) if field else change["field"],
                    "old": _audit_value(change["old"], labels),
                    "new": _audit_value(change["new"], labels),
                }
            )
        rows.append({**entry, "changes": changes})
    return rows


def _audit_value(value: Any, labels: Mapping[Any, str]) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list | tuple):
        # Products come as SKUs; through rows ({"partner": id, "product": id}) as ids.
        return ", ".join(
            str(item.get("product")) if isinstance(item, dict) else str(item) for item in value
        )
    label = labels.get(value) or labels.get(str(value))
    if label:
        return label
    # A related row deleted since is known by its id only.
    return f"#{value} (deleted)" if labels and isinstance(value, int) else str(value)


# --- lifecycle ------------------------------------------------------------------------


@staff_required
def partner_status(request: HttpRequest, ref: str) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    allowed = services.allowed_transitions(partner.status)
    form = StatusChangeForm(request.POST or None, allowed=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_transition(
                partner=partner,
                to_status=form.cleaned_data["status"],
                actor=_actor(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _form_errors_from(form, error)
            partner = _partner_or_404(request, ref)
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
    partner = _partner_or_404(request, ref)
    form = TerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_transition(
                partner=partner,
                to_status=PartnerStatus.TERMINATED,
                actor=_actor(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"{partner.name} is terminated.")
            return redirect("partners:detail", ref=partner.ref)
    return render(request, "partners/terminate.html", {"form": form, "partner": partner})


# --- DNS ------------------------------------------------------------------------------


def _dns_panel(request: HttpRequest, partner: Partner, problem: str = "") -> HttpResponse:
    return render(
        request,
        "partners/_dns_panel.html",
        {"partner": partner, "dns_problem": problem},
    )


@staff_required
@require_POST
def partner_dns_check(request: HttpRequest, ref: str) -> HttpResponse:
    """Look the name servers up again; htmx swaps the DNS panel in place, a browser
    without JavaScript comes back to the partner page."""
    partner = _partner_or_404(request, ref)
    problem = ""
    try:
        services.partner_dns_check(partner=partner)
    except ValidationError as error:
        problem = " ".join(error.messages)
    if getattr(request, "htmx", False):
        return _dns_panel(request, partner, problem)
    if problem:
        messages.error(request, problem)
    else:
        messages.info(request, f"DNS checked: {partner.get_dns_status_display().lower()}.")
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#dns")


@staff_required
@require_POST
def partner_dns_detect(request: HttpRequest, ref: str) -> HttpResponse:
    """Fill empty primary and secondary DNS from the lookup."""
    partner = _partner_or_404(request, ref)
    before = (partner.primary_dns, partner.secondary_dns)
    try:
        services.partner_dns_detect(partner=partner, actor=_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if (partner.primary_dns, partner.secondary_dns) != before:
            filled = ", ".join(
                value for value in (partner.primary_dns, partner.secondary_dns) if value
            )
            messages.success(request, f"DNS filled in from the lookup: {filled}.")
        elif partner.dns_status in (DnsStatus.OK, DnsStatus.MISMATCH):
            messages.info(
                request,
                "Nothing to fill in: both DNS fields are set or the lookup found no other "
                "name server. The check is stored.",
            )
        else:
            messages.warning(
                request,
                f"The lookup found no name servers ({partner.get_dns_status_display().lower()}"
                f"{': ' + partner.dns_error if partner.dns_error else ''}).",
            )
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#dns")


# --- contacts -------------------------------------------------------------------------


def _contact_or_404(partner: Partner, contact_id: int) -> Contact:
    return get_object_or_404(selectors.contact_list(partner=partner), pk=contact_id)


@staff_required
def contact_new(request: HttpRequest, ref: str) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                partner=partner, actor=_actor(request), **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"{contact.name} is a contact of {partner.name}.")
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")
    return render(
        request, "partners/contact_form.html", {"form": form, "partner": partner, "contact": None}
    )


@staff_required
def contact_edit(request: HttpRequest, ref: str, contact_id: int) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    contact = _contact_or_404(partner, contact_id)
    initial = {
        "name": contact.name,
        "role": contact.role,
        "title": contact.title,
        "email": contact.email,
        "phone": contact.phone.as_international if contact.phone else "",
        "notes": contact.notes,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=_actor(request), **form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"{contact.name} is saved.")
            return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "partner": partner, "contact": contact},
    )


@staff_required
@require_POST
def contact_delete(request: HttpRequest, ref: str, contact_id: int) -> HttpResponse:
    partner = _partner_or_404(request, ref)
    contact = _contact_or_404(partner, contact_id)
    services.contact_delete(contact=contact, actor=_actor(request))
    messages.success(request, f"{contact.name} is no longer a contact of {partner.name}.")
    return redirect(reverse("partners:detail", kwargs={"ref": partner.ref}) + "#contacts")


# --- reassignment ---------------------------------------------------------------------


@staff_required
def partners_reassign(request: HttpRequest) -> HttpResponse:
    """Move partners to another channel manager: the ones ticked on the list (posted
    from there), or a whole portfolio (this page)."""
    form = ReassignForm(request.POST or None)
    if request.method != "POST":
        return render(request, "partners/reassign.html", {"form": form})
    back = _safe_next(request, request.POST.get("next", ""), reverse("partners:list"))
    if form.is_valid():
        visible = selectors.partner_list_for_user(user=request.user)
        refs = form.cleaned_data["partners"]
        if refs:
            partners = visible.filter(ref__in=refs)
        else:
            partners = visible.filter(channel_manager__email=form.cleaned_data["from_manager"])
        try:
            changed = services.partners_reassign(
                partners=partners, manager=form.cleaned_data["to_manager"], actor=_actor(request)
            )
        except ValidationError as error:
            messages_by_field = error.message_dict
            form.add_error("to_manager", messages_by_field.get("channel_manager") or error.messages)
        else:
            manager = form.manager_labels[form.cleaned_data["to_manager"]]
            messages.success(
                request,
                f"{changed} partner{'s' if changed != 1 else ''} moved to {manager}."
                if changed
                else f"Nothing to move: those partners already have {manager}.",
            )
            return redirect(back)
    if request.POST.getlist("partners"):
        # Posted from the list, where the ticks are: say what is wrong there.
        for field, field_errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for message in field_errors:
                messages.error(request, f"{label}: {message}" if label else str(message))
        return redirect(back)
    return render(request, "partners/reassign.html", {"form": form})
