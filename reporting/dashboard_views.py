"""The channel manager dashboard (served at `/` by web:home for vendor staff), its live
fragment, and the CSV downloads of the dashboard and the activity page.

The dashboard reads the daily rollups only. Its live fragment is polled by htmx with
the freshness token of what it shows; while the rollups have not changed the answer
is 204 (htmx keeps the page as it is), so polling costs three small queries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from partners.selectors import partner_list_for_user
from prm.web.access import staff_required

from . import metrics
from .dashboard import (
    BREAKDOWN_TITLES,
    LEADERBOARD_COLUMNS,
    TILE_SPECS,
    breakdowns,
    channel_split,
    dashboard,
    figures,
    interval_for,
    leaderboard,
    make_tile,
    previous_period,
)
from .dashboard_forms import DashboardForm, PeriodForm
from .exports import ACTIVITY_EXPORTS, activity_csv, csv_response
from .metrics import Period
from .rollups import COMPONENTS
from .selectors import activity_list, dashboard_freshness

POLL_SECONDS = 5
CACHE_SECONDS = 600
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")

# Columns of the per-partner CSV: the metrics API's keys, in its order.
PARTNER_METRIC_COLUMNS = (
    "partner",
    "name",
    *COMPONENTS,
    "first_order_at",
    "last_order_at",
    "inventory_listed",
    "avg_order_value",
    "cost_per_sale",
    "avg_item_price",
    "win_rate",
    "avg_days_between_orders",
    "margin",
)
BREAKDOWN_COLUMNS: tuple[str, ...] = tuple(
    column
    for column in ("key", "label", "partners", *PARTNER_METRIC_COLUMNS[2:])
    if column != "inventory_listed"
)
SERIES_COLUMNS = ("start", *(c for c in PARTNER_METRIC_COLUMNS[2:] if c != "inventory_listed"))
EXPORT_TABLES = {
    "metrics": "Metrics per partner",
    "leaderboard": "Leaderboard",
    "tiles": "Tiles",
    "series": "Chart data",
    "tier": "Breakdown by tier",
    "country": "Breakdown by country",
    "product": "Breakdown by product",
    "channel": "Items by sales channel",
}


def _form(request: HttpRequest) -> DashboardForm:
    return DashboardForm(request.GET, user=request.user)


def _scoped(request: HttpRequest, form: DashboardForm) -> Any:
    return form.partners(partner_list_for_user(user=request.user))


def _live_html(
    request: HttpRequest,
    form: DashboardForm,
    freshness: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """The dashboard's numbers, rendered; kept in the cache under the freshness token
    (read here unless the caller has it), so a page view or a poll after the same fold
    costs no scan of the rollups."""
    token, fresh = freshness or dashboard_freshness()
    period = form.chosen_period()
    query = form.query()
    schema = getattr(getattr(request, "tenant", None), "schema_name", "")
    user_id = getattr(request.user, "pk", None)
    shape = urlencode(sorted({**query, "start": period.start, "end": period.end}.items()))
    digest = hashlib.sha256(f"{schema}|{user_id}|{shape}".encode()).hexdigest()[:32]
    key = f"prm:dashboard:{digest}:{token}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "reporting/_dashboard_live.html",
            _context(request, form, token, fresh),
            request=request,
        )
        cache.set(key, html, CACHE_SECONDS)
    return str(html)


def _context(
    request: HttpRequest, form: DashboardForm, token: str, fresh: dict[str, Any]
) -> dict[str, Any]:
    period = form.chosen_period()
    query = form.query()
    sort = form.cleaned_data["sort"]
    data = dashboard(
        partners=_scoped(request, form),
        period=period,
        previous=previous_period(period),
        sort=sort,
    )
    without_sort = {key: value for key, value in query.items() if key != "sort"}
    return {
        **data,
        "period": period,
        "token": token,
        "freshness": fresh,
        "poll_seconds": POLL_SECONDS,
        "live_url": f"{reverse('reporting:dashboard_live')}?{urlencode({**query, 'since': token})}",
        "sort": sort,
        "sort_links": _sort_links(without_sort, sort),
    }


def _sort_links(query: dict[str, str], current: str) -> dict[str, dict[str, str]]:
    links = {}
    for key in ("name", *(column for column, _heading, _unit in LEADERBOARD_COLUMNS)):
        if current == key:
            new, aria = f"-{key}", "ascending"
        elif current == f"-{key}":
            new, aria = key, "descending"
        else:
            new, aria = (key if key == "name" else f"-{key}"), "none"
        links[key] = {"url": "/?" + urlencode({**query, "sort": new}), "aria": aria}
    return links


@staff_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(
            request, "reporting/dashboard.html", {"form": form, "invalid": True}, status=400
        )
    query = form.query()
    exports = [
        {
            "table": table,
            "label": label,
            "url": reverse("reporting:dashboard_export", args=[table])
            + ("?" + urlencode(query) if query else ""),
        }
        for table, label in EXPORT_TABLES.items()
    ]
    return render(
        request,
        "reporting/dashboard.html",
        {
            "form": form,
            "period": form.chosen_period(),
            "exports": exports,
            # Rendered by Django's template engine, autoescaped: safe to insert as is.
            "live_html": mark_safe(_live_html(request, form)),  # noqa: S308
        },
    )


@staff_required
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers, for htmx to swap in; 204 while `since` is current."""
    freshness = dashboard_freshness()
    since = request.GET.get("since")
    if since and since == freshness[0]:
        return HttpResponse(status=204)
    form = _form(request)
    if not form.is_valid():
        return _invalid(form, "The filters are not valid")
    return HttpResponse(_live_html(request, form, freshness))


def _invalid(form: PeriodForm, what: str) -> HttpResponse:
    problems = "; ".join(
        f"{field}: {' '.join(str(error) for error in errors)}"
        for field, errors in form.errors.items()
    )
    return HttpResponse(f"{what}: {problems}", status=400, content_type="text/plain")


def _filename(request: HttpRequest, table: str, period: Period | None) -> str:
    tenant = getattr(getattr(request, "tenant", None), "slug", "prm")
    days = f"{period.start:%Y-%m-%d}_{period.end:%Y-%m-%d}" if period else "all"
    # Only characters that need no quoting in a header (a ref given in the query
    # string could hold anything).
    return UNSAFE_IN_FILENAME.sub("", f"{tenant}-{table}-{days}") + ".csv"


@staff_required
def dashboard_export(request: HttpRequest, table: str) -> HttpResponseBase:
    """One table of the dashboard as CSV, for the same period and filters; "metrics"
    is one row per partner with every component and metric (the metrics API's)."""
    if table not in EXPORT_TABLES:
        raise Http404("There is no such table.")
    form = _form(request)
    if not form.is_valid():
        return _invalid(form, "The filters are not valid")
    period = form.chosen_period()
    partners = _scoped(request, form)
    filename = _filename(request, f"dashboard-{table}", period)
    header: tuple[str, ...]
    rows: Any
    if table == "series":
        interval = interval_for(period)
        header = ("interval", *SERIES_COLUMNS)
        series = metrics.series(partners=partners, period=period, interval=interval)
        rows = ([interval, *(row[column] for column in SERIES_COLUMNS)] for row in series)
        return csv_response(filename=filename, header=header, rows=rows)
    current = figures(partners=partners, period=period)
    if table == "metrics":
        header = PARTNER_METRIC_COLUMNS
        rows = ([row[column] for column in header] for row in current.rows)
    elif table == "leaderboard":
        ranked = leaderboard(current.rows, form.cleaned_data["sort"])
        header = ("rank", "partner", "name", *(key for key, _h, _u in LEADERBOARD_COLUMNS))
        rows = ([number, *(row[c] for c in header[1:])] for number, row in enumerate(ranked, 1))
    elif table == "tiles":
        previous = previous_period(period)
        before = figures(partners=partners, period=previous)
        header = ("metric", "label", "from", "to", "value", "previous_from", "previous_to")
        header = (*header, "previous", "change", "change_percent")
        rows = _tile_rows(period, previous, current.totals, before.totals)
    elif table in BREAKDOWN_TITLES:
        header = BREAKDOWN_COLUMNS
        grouped = breakdowns(partners=partners, period=period)[table]
        rows = ([row[column] for column in header] for row in grouped)
    else:  # channel
        header = ("channel", "label", "items_sold")
        split = channel_split(current.totals)
        rows = ([row["key"], row["label"], row["items"]] for row in split)
    return csv_response(filename=filename, header=header, rows=rows)


def _tile_rows(
    period: Period, previous: Period, current: dict[str, Any], before: dict[str, Any]
) -> Iterator[list[Any]]:
    for spec in TILE_SPECS:
        tile = make_tile(spec, current.get(spec.key), before.get(spec.key))
        yield [
            spec.key,
            spec.label,
            period.start,
            period.end,
            tile.value,
            previous.start,
            previous.end,
            tile.previous,
            tile.change,
            tile.change_percent,
        ]


# --- the activity page's CSV ---------------------------------------------------------------


@staff_required
def activity_export(request: HttpRequest) -> HttpResponseBase:
    """Orders, calls or contacts (`kind`) as CSV, newest first, the activity API's field
    names; optionally one partner (`partner` ref) and a period (`from`, `to`, the
    tenant's days, on the order, call or contact time)."""
    kind = request.GET.get("kind", "orders")
    if kind not in ACTIVITY_EXPORTS:
        return HttpResponse(
            "Choose kind=orders, kind=calls or kind=contacts.",
            status=400,
            content_type="text/plain",
        )
    partner = request.GET.get("partner", "").strip()
    period = None
    if request.GET.get("from") or request.GET.get("to"):
        form = PeriodForm({**request.GET.dict(), "period": "custom"})
        if not form.is_valid():
            return _invalid(form, "The period is not valid")
        period = form.chosen_period()
    rows = activity_list(user=request.user, kind=kind, partner_ref=partner, period=period)
    filename = _filename(request, f"{kind}-{partner}" if partner else kind, period)
    return activity_csv(kind=kind, rows=rows, filename=filename)
