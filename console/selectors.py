"""Reads the console composes from several apps: the SLA breaches panel of the
dashboard and the token that says when the dashboard's numbers may have changed."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, QuerySet

from partners.models import Partner
from reporting import metrics
from reporting.metrics import Period
from slas.models import EventKind, PartnerRequest, SlaEvent
from slas.selectors import open_breaches


def dashboard_freshness() -> tuple[str, dict[str, Any]]:
    """How fresh the rollups are (reporting.metrics.freshness), and a token that
    changes whenever what the dashboard shows may have: a fold of the rollups, the
    outbox's size, a new SLA event, a partner request changing, a partner added,
    changed (its tier, country, products, manager) or deleted."""
    fresh = metrics.freshness()
    as_of = fresh["as_of"].isoformat() if fresh["as_of"] else "never"
    last_event = SlaEvent.objects.aggregate(last=Max("id"))["last"] or 0
    last_request = PartnerRequest.objects.aggregate(last=Max("updated_at"))["last"]
    registry = Partner.objects.aggregate(last=Max("updated_at"), count=Count("id"))
    changes = [
        value.isoformat() if value else "never" for value in (last_request, registry["last"])
    ]
    return f"{as_of}.{fresh['pending']}.{last_event}.{'.'.join(changes)}.{registry['count']}", fresh


def sla_breaches(*, partners: QuerySet[Partner], period: Period, limit: int = 10) -> dict[str, Any]:
    """SLA breaches of `partners`: open requests whose clock is breached now, and the
    breach events (request clocks breached, monthly minimums missed) of the period."""
    start, end = period.moments()
    requests = (
        PartnerRequest.objects.filter(open_breaches(), partner__in=partners)
        .select_related("partner")
        .order_by("opened_at", "id")
    )
    events = SlaEvent.objects.filter(
        partner__in=partners,
        kind__in=[EventKind.BREACHED, EventKind.MINIMUM_MISSED],
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).select_related("partner", "request")
    return {
        "open_count": requests.count(),
        "open": list(requests[:limit]),
        "event_count": events.count(),
        "events": list(events[:limit]),
    }
