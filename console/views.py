"""The channel managers' and admins' home: the dashboard at `/` for vendor staff (partner
users go to their portal), its live fragment and its CSV downloads.

The dashboard reads the daily rollups only. Its live fragment is polled by htmx with
the freshness token of what it shows; while the rollups have not changed the answer
is 204 (htmx keeps the page as it is), so polling costs three small queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from partners.selectors import partner_list_for_user
from prm.web.access import login_required, staff_required
from reporting import metrics
from reporting.dashboard import (
    BREAKDOWN_TITLES,
    LEADERBOARD_COLUMNS,
    breakdowns,
    channel_split,
    dashboard,
    leaderboard,
)
from reporting.exports import csv_response, invalid_form_answer, safe_filename
from reporting.forms import DashboardForm
from reporting.metrics import Period
from reporting.rollups import COMPONENTS
from reporting.scorecard import (
    SLA_BREACHES,
    TILE_SPECS,
    Tile,
    figures,
    interval_for,
    make_tile,
    previous_period,
)

from .selectors import dashboard_freshness, sla_breaches

CACHE_SECONDS = 600

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
    tenant = getattr(request, "tenant", None)
    # The tenant's currency and locale write the numbers, its zone the times: a change
    # of any of them is a new page.
    reading = "|".join(
        str(getattr(tenant, name, ""))
        for name in ("schema_name", "currency", "locale", "time_zone")
    )
    user_id = getattr(request.user, "pk", None)
    shape = urlencode(sorted({**query, "start": period.start, "end": period.end}.items()))
    digest = hashlib.sha256(f"{reading}|{user_id}|{shape}".encode()).hexdigest()[:32]
    key = f"prm:dashboard:{digest}:{token}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "console/_dashboard_live.html",
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
    partners = _scoped(request, form)
    previous = previous_period(period)
    sla = sla_breaches(partners=partners, period=period)
    data = dashboard(
        partners=partners,
        period=period,
        previous=previous,
        sort=sort,
        extra_tiles=[_sla_tile(partners, sla["event_count"], previous)],
    )
    without_sort = {key: value for key, value in query.items() if key != "sort"}
    return {
        **data,
        "sla": sla,
        "period": period,
        "token": token,
        "freshness": fresh,
        "poll_seconds": settings.PRM_DASHBOARD_POLL_SECONDS,
        "live_url": f"{reverse('console:dashboard_live')}?{urlencode({**query, 'since': token})}",
        "sort": sort,
        "sort_links": _sort_links(without_sort, sort),
    }


def _sla_tile(partners: Any, breaches: int, previous: Period) -> Tile:
    """The headline's SLA breaches: those recorded in the period, against the previous."""
    before = sla_breaches(partners=partners, period=previous, limit=0)["event_count"]
    return make_tile(SLA_BREACHES, breaches, before)


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
            request, "console/dashboard.html", {"form": form, "invalid": True}, status=400
        )
    query = form.query()
    exports = [
        {
            "table": table,
            "label": label,
            "url": reverse("console:dashboard_export", args=[table])
            + ("?" + urlencode(query) if query else ""),
        }
        for table, label in EXPORT_TABLES.items()
    ]
    return render(
        request,
        "console/dashboard.html",
        {
            "form": form,
            "period": form.chosen_period(),
            "exports": exports,
            # Rendered by Django's template engine, autoescaped: safe to insert as is.
            "live_html": mark_safe(_live_html(request, form)),  # noqa: S308
        },
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The channel manager dashboard for vendor staff; partner users go to their portal."""
    user = request.user
    if getattr(user, "is_channel_staff", False):
        return dashboard_page(request)
    if getattr(user, "is_partner_user", False):
        return redirect(reverse("portal:home"))
    return render(request, "console/home.html")


@staff_required
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers, for htmx to swap in; 204 while `since` is current."""
    freshness = dashboard_freshness()
    since = request.GET.get("since")
    if since and since == freshness[0]:
        return HttpResponse(status=204)
    form = _form(request)
    if not form.is_valid():
        return invalid_form_answer(form, "The filters are not valid")
    return HttpResponse(_live_html(request, form, freshness))


@staff_required
def dashboard_export(request: HttpRequest, table: str) -> HttpResponseBase:
    """One table of the dashboard as CSV, for the same period and filters; "metrics"
    is one row per partner with every component and metric (the metrics API's)."""
    if table not in EXPORT_TABLES:
        raise Http404("There is no such table.")
    form = _form(request)
    if not form.is_valid():
        return invalid_form_answer(form, "The filters are not valid")
    period = form.chosen_period()
    partners = _scoped(request, form)
    filename = safe_filename(request, f"dashboard-{table}", period)
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
        breaches = sla_breaches(partners=partners, period=period, limit=0)["event_count"]
        sla_tile = _sla_tile(partners, breaches, previous)
        rows = _tile_rows(period, previous, current.totals, before.totals, sla_tile)
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
    period: Period,
    previous: Period,
    current: dict[str, Any],
    before: dict[str, Any],
    *extra: Tile,
) -> Iterator[list[Any]]:
    tiles = [make_tile(spec, current.get(spec.key), before.get(spec.key)) for spec in TILE_SPECS]
    for tile in [*tiles, *extra]:
        yield [
            tile.key,
            tile.spec.label,
            period.start,
            period.end,
            tile.value,
            previous.start,
            previous.end,
            tile.previous,
            tile.change,
            tile.change_percent,
        ]
