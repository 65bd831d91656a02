"""Reads the console composes from several apps: the SLA breaches panel of the
dashboard, the token that says when the dashboard's numbers may have changed, and the
getting-started checklist of a new tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse

from partners.models import Partner, Product, Tier
from prm.accounts.models import ApiKey, Role, User
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


# --- the getting-started checklist ---------------------------------------------------


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    label: str
    help: str
    links: tuple[tuple[str, str], ...]  # (what to do, where), the first the main one
    done: bool


def _has_terms() -> Q:
    return ~Q(roles="") | ~Q(responsibilities="") | ~Q(benefits="")


def getting_started(*, user: Any) -> list[ChecklistStep]:
    """The steps that set a new tenant up, each ticked from what the tenant has, for
    the home page; empty once every step is done (and the card goes), or for anyone
    who has none to take. Administrators get every step; a channel manager only the
    one that is theirs too (the first partners): the rest are the administrator's."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_channel_staff", False):
        return []
    partners = ChecklistStep(
        key="partners",
        label="Add or import your first partners",
        help="One at a time, or a whole spreadsheet at once.",
        links=(
            ("Add a partner", reverse("partners:new")),
            ("Import a spreadsheet", reverse("partner_import:start")),
        ),
        done=Partner.objects.exists(),
    )
    if not user.is_tenant_admin:
        return [] if partners.done else [partners]
    steps = [
        ChecklistStep(
            key="products",
            label="Add products",
            help="What partners sell: each partner offers some, and orders name them.",
            links=(("Add a product", reverse("partners:product_new")),),
            done=Product.objects.exists(),
        ),
        ChecklistStep(
            key="tiers",
            label="Add tiers with their terms",
            help="The levels of the programme, with the roles, responsibilities and "
            "benefits partners read in their portal.",
            links=(("Add a tier", reverse("partners:tier_new")),),
            done=Tier.objects.filter(_has_terms()).exists(),
        ),
        ChecklistStep(
            key="manager",
            label="Invite a channel manager",
            help="Every partner has one: its single point of contact.",
            links=(("Invite a person", reverse("console:person_invite")),),
            done=User.objects.filter(role=Role.MANAGER).exists(),
        ),
        partners,
        ChecklistStep(
            key="api_key",
            label="Create an API key",
            help="For the ERP, CRM or telephony that sends orders, calls and contacts.",
            links=(("Create a key", reverse("web:api_key_new")),),
            done=ApiKey.objects.exists(),
        ),
    ]
    return [] if all(step.done for step in steps) else steps
