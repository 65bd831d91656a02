"""Reads of slas: policies and their versions, partner requests with their clocks,
SLA events and notifications, a partner's effective targets, the compliance page and
the partner panel.

Built on slas.clocks (where a clock stands) and slas.compliance (a month against its
minimums), which are reads too. The services (slas.services) import from here;
nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from prm.accounts.models import Role, User
from prm.accounts.selectors import user_list_admins
from prm.tenancy.clock import tenant_today

from .clocks import read_clock
from .compliance import MINIMUMS, actuals, partner_month_compliance
from .models import (
    STAFF_MESSAGE_KINDS,
    TARGET_FIELDS,
    WEEKDAY_CHOICES,
    Clock,
    ClockState,
    MessageKind,
    Notification,
    PartnerRequest,
    PartnerSlaOverride,
    RequestMessage,
    SlaEvent,
    SlaPolicy,
    SlaPolicyVersion,
)


def sla_policy_list() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.all()


def sla_policy_default() -> SlaPolicy:
    """The tenant's default policy; every tenant has one from its first migration."""
    return SlaPolicy.objects.get(is_default=True)


def sla_policy_versions(*, policy: SlaPolicy) -> QuerySet[SlaPolicyVersion]:
    return policy.versions.select_related("created_by")


def partner_request_list_for_user(*, user: Any) -> QuerySet[PartnerRequest]:
    """Requests the user may see: all for staff and integrators, its partner's for a
    partner user, none otherwise."""
    requests = PartnerRequest.objects.select_related("partner", "raised_by", "sla_version")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return requests.none()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.INTEGRATOR):
        return requests
    if user.role == Role.PARTNER:
        return requests.filter(partner__users__user=user)
    return requests.none()


def request_message_list(*, request: PartnerRequest) -> QuerySet[RequestMessage]:
    """The request's conversation, oldest first."""
    return RequestMessage.objects.filter(request=request).select_related("author")


def message_is_first_response(*, message: RequestMessage, request: PartnerRequest) -> bool:
    """Whether `message` is the vendor's reply that was `request`'s first response (the
    first response is recorded at the moment that reply was stored)."""
    return message.kind in STAFF_MESSAGE_KINDS and request.first_response_at == message.created_at


def request_latest_messages(*, request_ids: Iterable[int]) -> dict[int, RequestMessage]:
    """Each request's latest message, by request id (one query), for the list pages."""
    latest = (
        RequestMessage.objects.filter(request_id__in=list(request_ids))
        .order_by("request_id", "-created_at", "-id")
        .distinct("request_id")
    )
    return {message.request_id: message for message in latest}


def request_rows_with_latest_message(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (partner_request_rows') each with its request's latest message
    (`latest_message`: who spoke last, and when; None before any), in one query."""
    latest = request_latest_messages(request_ids=[row["request"].pk for row in rows])
    for row in rows:
        row["latest_message"] = latest.get(row["request"].pk)
    return rows


def request_conversation(*, request: PartnerRequest) -> list[dict[str, Any]]:
    """What the request pages show as its conversation, in order: the request as it was
    raised, then every message, each with who wrote it (and for which side), what it
    was (first response, reply, resolution, the partner's answer) and when."""
    lead = request.kind == "lead"
    entries: list[dict[str, Any]] = [
        {
            "id": "request",
            "kind": "request",
            "label": "Lead offered" if lead else "Request raised",
            "author": request.raised_by,
            "from_partner": request.raised_by is not None
            and request.raised_by.role == Role.PARTNER,
            "via_api": request.raised_by is not None and request.raised_by.role == Role.INTEGRATOR,
            "body": request.description,
            "at": request.opened_at,
            "message": None,
        }
    ]
    for message in request_message_list(request=request):
        if message.kind == MessageKind.RESOLUTION:
            label = "Resolution"
        elif message.kind == MessageKind.NOTE:
            label = "Answer from the partner"
        elif message_is_first_response(message=message, request=request):
            label = "Accepted" if lead else "First response"
        else:
            label = "Reply"
        entries.append(
            {
                "id": f"message-{message.pk}",
                "kind": message.kind,
                "label": label,
                "author": message.author,
                "from_partner": message.from_partner,
                "via_api": message.author is not None and message.author.role == Role.INTEGRATOR,
                "body": message.body,
                "at": message.created_at,
                "message": message,
            }
        )
    return entries


def partner_users_of(*, partner: Any) -> QuerySet[User]:
    """The active portal users linked to the partner."""
    return User.objects.filter(
        partner_link__partner=partner, role=Role.PARTNER, is_active=True
    ).order_by("email")


def partner_answer_readers(*, partner: Any) -> list[User]:
    """Who reads a partner's answers on its requests: its channel manager, or, while it
    has none that is active (deactivated, its partners awaiting reassignment), the
    tenant's active administrators, so that no answer goes unread."""
    manager = partner.channel_manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(user_list_admins().order_by("email"))


def request_message_recipients(*, request: PartnerRequest, kind: str) -> list[str]:
    """Who a message of `kind` on `request` is mailed to: the vendor's replies go to the
    partner's portal users and its contact e-mail, a partner's note to its answers'
    readers (partner_answer_readers). Each address once (case aside), in order."""
    partner = request.partner
    if kind in STAFF_MESSAGE_KINDS:
        addresses = [*partner_users_of(partner=partner).values_list("email", flat=True)]
        addresses.append(partner.contact_email)
    else:
        addresses = [user.email for user in partner_answer_readers(partner=partner)]
    seen: set[str] = set()
    recipients = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return recipients


def sla_event_list(*, partner: Any | None = None) -> QuerySet[SlaEvent]:
    events = SlaEvent.objects.select_related("partner", "request")
    return events.filter(partner=partner) if partner is not None else events


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


@dataclass(frozen=True)
class EffectiveTarget:
    field: str
    value: Any
    overridden: bool


def effective_targets(partner: Any, *, policy: SlaPolicy | None = None) -> list[EffectiveTarget]:
    """The partner's own targets, the rest from `policy` (by default its policy)."""
    policy = policy or partner.sla
    override = PartnerSlaOverride.objects.filter(partner=partner).first()
    result = []
    for field in TARGET_FIELDS:
        own = getattr(override, field) if override is not None else None
        result.append(
            EffectiveTarget(
                field, own if own is not None else getattr(policy, field), own is not None
            )
        )
    return result


def open_breaches() -> Q:
    return Q(resolved_at__isnull=True) & (
        Q(first_response_state="breached") | Q(resolution_state="breached")
    )


# --- pages: policy list, request clocks, compliance and the partner panel ---------------

# How each target is shown: business hours, money (tenant currency), a count, a percent.
TARGET_UNITS = {
    "first_response_hours": "hours",
    "resolution_hours": "hours",
    "lead_acceptance_hours": "hours",
    "min_monthly_revenue": "money",
    "min_monthly_won_orders": "count",
    "min_monthly_calls": "count",
    "uptime_percent": "percent",
}
# Monthly minimums are judged on the activity rollups, which are not ingested yet.
MONTHLY_MINIMUMS = ("min_monthly_revenue", "min_monthly_won_orders", "min_monthly_calls")
# Clock states whose request still needs work, worst first.
PROBLEM_STATES = ("breached", "at_risk")
RECENT_EVENTS_PER_PARTNER = 3


def target_label(field: str) -> str:
    return str(getattr(SlaPolicy._meta.get_field(field), "verbose_name", field))


def sla_policy_list_with_usage() -> QuerySet[SlaPolicy]:
    """Policies with `partner_count`: how many partners use each."""
    return SlaPolicy.objects.annotate(partner_count=Count("partners"))


def sla_policy_partners(*, policy: SlaPolicy) -> QuerySet[Any]:
    return policy.partners.select_related("channel_manager").order_by("name")


def request_clocks(request: PartnerRequest, now: datetime) -> list[dict[str, Any]]:
    """Both clocks of a request as they stand at `now` (business time of its version)."""
    clocks = []
    for clock in Clock:
        reading = read_clock(request, clock, now)
        if clock == Clock.RESOLUTION and request.kind == "lead" and reading.due_at is None:
            continue  # a lead has only its acceptance clock
        running = reading.due_at is not None and (
            request.resolved_at is None
            and (clock == Clock.RESOLUTION or request.first_response_at is None)
        )
        target_hours = getattr(request, f"{clock.value}_target_hours")
        took = None  # business time the clock ran for, once it has stopped
        if not running and target_hours is not None and reading.left is not None:
            took = timedelta(hours=float(target_hours)) - reading.left
        clocks.append(
            {
                "clock": clock.value,
                "label": "Acceptance" if request.kind == "lead" else clock.label,
                "state": reading.state,
                "state_label": ClockState(reading.state).label,
                "used": reading.used,
                "left": reading.left,
                "due_at": reading.due_at,
                "target_hours": target_hours,
                "took": took,
                # Deadlines read best in the support calendar's own time zone.
                "time_zone": request.sla_version.data["time_zone"]
                if request.sla_version
                else "UTC",
                "running": running,
            }
        )
    return clocks


def partner_request_rows(
    requests: Iterable[PartnerRequest], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Requests with their clocks, the most urgent first: open requests by the business
    time left on their running clocks (overdue ones first), then open requests without
    a running target, then closed ones, newest first."""
    now = now or timezone.now()
    rows = []
    for request in requests:
        clocks = request_clocks(request, now)
        lefts = [c["left"] for c in clocks if c["running"] and c["left"] is not None]
        states = {c["state"] for c in clocks if c["running"]}
        rows.append(
            {
                "request": request,
                "clocks": clocks,
                "left": min(lefts) if lefts else None,
                "worst": next((state for state in PROBLEM_STATES if state in states), ""),
            }
        )

    def urgency(row: dict[str, Any]) -> tuple[int, float]:
        request = row["request"]
        if request.resolved_at is not None:
            return (2, -request.resolved_at.timestamp())
        if row["left"] is None:
            return (1, -request.opened_at.timestamp())
        return (0, row["left"].total_seconds())

    rows.sort(key=urgency)
    return rows


def _effective_values(partner: Any) -> dict[str, Any]:
    """Targets of a partner whose `sla` and `sla_override` were selected with it (the
    same rule as effective_targets, without a query per partner)."""
    try:
        override = partner.sla_override
    except PartnerSlaOverride.DoesNotExist:
        override = None
    values = {}
    for field in TARGET_FIELDS:
        own = getattr(override, field) if override is not None else None
        values[field] = own if own is not None else getattr(partner.sla, field)
    return values


def sla_compliance(*, partners: QuerySet[Any], now: datetime | None = None) -> dict[str, Any]:
    """Compliance of `partners`: one row per partner, those with open breaches first,
    then those at risk, then the rest (by name), and the totals.

    Clock states are read live (not the stored ones, which the beat task moves on every
    few minutes), so the page agrees with the request list."""
    now = now or timezone.now()
    partners = partners.select_related("sla", "sla_override", "channel_manager").order_by(
        "name", "ref"
    )
    open_requests = (
        PartnerRequest.objects.filter(partner__in=partners, resolved_at__isnull=True)
        .select_related("sla_version")
        .order_by("opened_at")
    )
    by_partner: dict[int, list[dict[str, Any]]] = {}
    for row in partner_request_rows(open_requests, now=now):
        by_partner.setdefault(row["request"].partner_id, []).append(row)
    events = (
        SlaEvent.objects.filter(partner__in=partners)
        .select_related("request")
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("partner_id")], order_by=[F("occurred_at").desc()]
            )
        )
        .filter(position__lte=RECENT_EVENTS_PER_PARTNER)
        .order_by("-occurred_at", "-id")
    )
    events_by_partner: dict[int, list[SlaEvent]] = {}
    for event in events:
        events_by_partner.setdefault(event.partner_id, []).append(event)

    month = tenant_today(now).replace(day=1)
    month_actuals = actuals(partner_ids=[partner.pk for partner in partners], month=month)
    rows = []
    for partner in partners:
        requests = by_partner.get(partner.pk, [])
        problems = [
            {"request": row["request"], "clock": clock}
            for row in requests
            for clock in row["clocks"]
            if clock["running"] and clock["state"] in PROBLEM_STATES
        ]
        breached = sum(1 for problem in problems if problem["clock"]["state"] == "breached")
        at_risk = len(problems) - breached
        values = _effective_values(partner)
        rows.append(
            {
                "partner": partner,
                "policy": partner.sla,
                "open_requests": len(requests),
                "breached": breached,
                "at_risk": at_risk,
                "state": "breached" if breached else "at_risk" if at_risk else "ok",
                "problems": sorted(problems, key=lambda p: p["clock"]["left"]),
                "events": events_by_partner.get(partner.pk, []),
                "minimums": [
                    {
                        "field": field,
                        "label": target_label(field),
                        "value": values[field],
                        "actual": month_actuals[partner.pk][MINIMUMS[field][0]],
                        "met": month_actuals[partner.pk][MINIMUMS[field][0]] >= values[field],
                    }
                    for field in MONTHLY_MINIMUMS
                    if values[field] is not None
                ],
            }
        )
    rank = {"breached": 0, "at_risk": 1, "ok": 2}
    rows.sort(key=lambda row: (rank[row["state"]], -row["breached"], -row["at_risk"]))
    return {
        "rows": rows,
        "partners": len(rows),
        "in_breach": sum(1 for row in rows if row["state"] == "breached"),
        "at_risk": sum(1 for row in rows if row["state"] == "at_risk"),
        "open_requests": sum(row["open_requests"] for row in rows),
    }


def partner_sla_panel(*, partner: Any, now: datetime | None = None) -> dict[str, Any]:
    """What templates/slas/_partner_panel.html shows: the partner's effective SLA (policy
    and version, every target marked inherited or overridden, the support calendar),
    its open requests with their clocks and its latest SLA events."""
    now = now or timezone.now()
    policy = partner.sla
    targets = [
        {
            "field": target.field,
            "label": target_label(target.field),
            "value": target.value,
            "overridden": target.overridden,
            "policy_value": getattr(policy, target.field),
            "unit": TARGET_UNITS[target.field],
        }
        for target in effective_targets(partner)
    ]
    today = now.astimezone(ZoneInfo(policy.time_zone)).date()
    holidays = [day for day in policy.holidays if day >= today]
    open_requests = PartnerRequest.objects.filter(
        partner=partner, resolved_at__isnull=True
    ).select_related("sla_version")

    month_readings = [
        reading
        for reading in partner_month_compliance(partner=partner, month=today.replace(day=1))
        if reading.minimum is not None
    ]
    return {
        "partner": partner,
        "policy": policy,
        "targets": targets,
        "month_readings": month_readings,
        "overridden_count": sum(1 for target in targets if target["overridden"]),
        "calendar": {
            "time_zone": policy.time_zone,
            "working_days": [label for day, label in WEEKDAY_CHOICES if day in policy.working_days],
            "start": policy.working_hours_start,
            "end": policy.working_hours_end,
            "upcoming_holidays": holidays[:5],
            "more_holidays": max(len(holidays) - 5, 0),
        },
        "open_requests": partner_request_rows(open_requests, now=now),
        "events": list(sla_event_list(partner=partner)[:5]),
        "monthly_minimums": MONTHLY_MINIMUMS,
    }
