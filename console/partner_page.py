"""The console's part of the partner page (partners' own view renders the registry's
part): the scorecard from the rollups and its latest orders, and its SLA panel."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from partners import page_sections
from partners.models import Partner
from partners.selectors import partner_only
from reporting.forms import PeriodForm
from reporting.scorecard import PARTNER_TILES, scorecard
from reporting.selectors import order_list_latest
from slas.selectors import partner_sla_panel


@page_sections.register
def performance(request: HttpRequest, partner: Partner) -> dict[str, Any]:
    """The partner's scorecard from the rollups (tiles with the change against the
    previous period, charts with their tables) for the chosen period, last 30 days by
    default, and its latest orders (a LIMITed read of the (partner, ordered_at) index)."""
    form = PeriodForm(request.GET, default="30d")
    card = None
    if form.is_valid():
        card = scorecard(
            partners=partner_only(partner),
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


@page_sections.register
def service_levels(request: HttpRequest, partner: Partner) -> dict[str, Any]:
    """The partner's effective SLA, its open requests and compliance."""
    return {"sla_panel": partner_sla_panel(partner=partner)}
