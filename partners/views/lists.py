"""The registry's list pages: every partner, "my partners", the export (CSV or XLSX)
of what the list shows, and moving partners to another channel manager."""

from __future__ import annotations

import tablib
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from prm.spreadsheets import spreadsheet_cell
from prm.tenancy.clock import tenant_today
from prm.web.access import staff_required

from .. import selectors, services
from ..fields import EXPORT_FIELDS, value_of
from ..filters import PartnerFilter
from ..forms import SORTS, PartnerListForm, ReassignForm
from ..models import Partner, PartnerStatus
from .common import acting_user, query_string, safe_next

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _filtered(request: HttpRequest, *, mine: bool) -> tuple[QuerySet[Partner], PartnerListForm]:
    """The partners the list shows for these query parameters, in the chosen order."""
    partners = selectors.partner_list_for_user(user=request.user)
    if mine:
        partners = partners.filter(channel_manager=acting_user(request))
    form = PartnerListForm(request.GET)
    form.is_valid()  # invalid values are ignored, like the API does
    filtered = PartnerFilter(request.GET, queryset=partners).qs
    return filtered.order_by(*form.ordering()), form


def _status_counts(request: HttpRequest, *, mine: bool) -> dict[str, int]:
    """How many partners each status has under the other filters (the status tabs)."""
    partners = selectors.partner_list_for_user(user=request.user)
    if mine:
        partners = partners.filter(channel_manager=acting_user(request))
    data = request.GET.copy()
    data.pop("status", None)
    return selectors.partner_status_counts(PartnerFilter(data, queryset=partners).qs)


def _sort_links(data: QueryDict, current: str) -> dict[str, dict[str, str]]:
    links = {}
    for key in SORTS:
        if current == key:
            links[key] = {"url": query_string(data, sort=f"-{key}", page=None), "aria": "ascending"}
        elif current == f"-{key}":
            links[key] = {"url": query_string(data, sort=key, page=None), "aria": "descending"}
        else:
            links[key] = {"url": query_string(data, sort=key, page=None), "aria": "none"}
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
            "url": query_string(request.GET, status=value, page=None),
        }
        for value, label in PartnerStatus.choices
    ]
    export_query = request.GET.copy()
    for key in ("page", "per_page"):
        export_query.pop(key, None)
    if mine:
        export_query["channel_manager"] = acting_user(request).email
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
            "all_statuses_url": query_string(request.GET, status=None, page=None),
            "no_status_chosen": not chosen_statuses,
            "chosen_statuses": chosen_statuses,
            "sort_links": _sort_links(request.GET, current_sort),
            "page_url": query_string(request.GET, page=None),
            "export_csv_url": reverse("partners:export") + query_string(export_query, format="csv"),
            "export_xlsx_url": reverse("partners:export")
            + query_string(export_query, format="xlsx"),
            "import_url": reverse("partner_import:start"),
            "reassign_form": ReassignForm(initial={"next": request.get_full_path()}),
            # Partners whose channel manager is deactivated: flagged until reassigned.
            "unmanaged_count": selectors.partner_list_of_inactive_managers().count(),
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


def _export_row(partner: Partner) -> list[str]:
    return [spreadsheet_cell(value_of(partner, name, in_file=True)) for name in EXPORT_FIELDS]


@staff_required
def partner_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered, every page of it, as CSV or XLSX."""
    file_format = request.GET.get("format", "csv")
    if file_format not in EXPORT_FORMATS:
        return HttpResponse(
            "Choose format=csv or format=xlsx.", status=400, content_type="text/plain"
        )
    partners, _form = _filtered(request, mine=False)
    dataset = tablib.Dataset(headers=list(EXPORT_FIELDS), title="Partners")
    for partner in partners.iterator(chunk_size=500):
        dataset.append(_export_row(partner))
    content = dataset.export(file_format)
    tenant = getattr(request, "tenant", None)
    filename = f"partners-{getattr(tenant, 'slug', 'export')}-{tenant_today():%Y%m%d}.{file_format}"
    response = HttpResponse(content, content_type=EXPORT_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required
def partners_reassign(request: HttpRequest) -> HttpResponse:
    """Move partners to another channel manager: the ones ticked on the list (posted
    from there), or a whole portfolio (this page)."""
    form = ReassignForm(
        request.POST or None, initial={"from_manager": request.GET.get("from_manager", "")}
    )
    if request.method != "POST":
        return render(request, "partners/reassign.html", {"form": form})
    back = safe_next(request, request.POST.get("next", ""), reverse("partners:list"))
    if form.is_valid():
        visible = selectors.partner_list_for_user(user=request.user)
        refs = form.cleaned_data["partners"]
        if refs:
            partners = visible.filter(ref__in=refs)
        else:
            partners = visible.filter(channel_manager__email=form.cleaned_data["from_manager"])
        try:
            changed = services.partners_reassign(
                partners=partners,
                manager=form.cleaned_data["to_manager"],
                actor=acting_user(request),
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
