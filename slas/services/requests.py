"""Writes of partner requests and their clocks: opening one (its deadlines set in
the business calendar of the policy version in force), answering and resolving it,
and beat's evaluation that moves open requests' clocks on and raises an at-risk or
breach event (slas.services.events) once per clock."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from prm.accounts.models import User
from prm.errors import Errors

from ..calendar import BusinessCalendar, CalendarError
from ..clocks import calendar_of, read_clock
from ..models import Clock, ClockState, EventKind, PartnerRequest, RequestKind, SlaPolicy
from ..selectors import effective_targets
from .events import sla_clock_event_raise
from .policies import current_version

logger = logging.getLogger(__name__)


class PolicyCalendarError(CalendarError):
    """A request's deadlines cannot be placed in its policy's calendar; the message
    says which policy, why, and who can fix it."""


def partner_request_open(
    *,
    partner: Any,
    subject: str,
    kind: str = RequestKind.SUPPORT,
    description: str = "",
    raised_by: User | None = None,
    opened_at: datetime | None = None,
) -> PartnerRequest:
    errors = Errors()
    if not subject.strip():
        errors.add("subject", "Say in a few words what is needed.")
    if kind not in RequestKind.values:
        errors.add("kind", f"Use one of {', '.join(RequestKind.values)}.")
    errors.raise_if_any()
    opened_at = opened_at or timezone.now()
    # Read the policy now, not from the partner's cached copy, which may predate the
    # version in force; its targets and version number come from this one row.
    policy = SlaPolicy.objects.get(pk=partner.sla_id)
    version = current_version(policy)
    targets = {target.field: target.value for target in effective_targets(partner, policy=policy)}
    first_hours = targets[
        "lead_acceptance_hours" if kind == RequestKind.LEAD else "first_response_hours"
    ]
    resolution_hours = None if kind == RequestKind.LEAD else targets["resolution_hours"]
    try:
        calendar = calendar_of(version)
        first_due = _due(calendar, opened_at, first_hours)
        resolution_due = _due(calendar, opened_at, resolution_hours)
    except CalendarError as error:
        # A policy stored before the rules in slas.rules, or opened_at far in the past
        # under long-gone holidays: say so, for a 409 or a form message, not a crash.
        raise PolicyCalendarError(
            f"The deadlines of this request cannot be set under SLA policy “{policy.name}” "
            f"(version {version.number}): {error} A tenant administrator must correct "
            "the policy's working days, hours or holidays, or this partner's own "
            "targets; then open the request again."
        ) from error
    request = PartnerRequest.objects.create(
        partner=partner,
        kind=kind,
        subject=subject.strip(),
        description=description.strip(),
        raised_by=raised_by,
        opened_at=opened_at,
        sla_version=version,
        first_response_target_hours=first_hours,
        resolution_target_hours=resolution_hours,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        first_response_state=ClockState.ON_TRACK if first_hours else ClockState.NONE,
        resolution_state=ClockState.ON_TRACK if resolution_hours else ClockState.NONE,
    )
    return request


def _due(calendar: BusinessCalendar, opened_at: datetime, hours: Decimal | None) -> datetime | None:
    return calendar.add(opened_at, timedelta(hours=float(hours))) if hours else None


def partner_request_respond(
    *, request: PartnerRequest, at: datetime | None = None
) -> PartnerRequest:
    if request.first_response_at is None:
        request.first_response_at = at or timezone.now()
        _settle(request, Clock.FIRST_RESPONSE)
        request.save()
    return request


def partner_request_resolve(
    *, request: PartnerRequest, at: datetime | None = None
) -> PartnerRequest:
    at = at or timezone.now()
    if request.first_response_at is None:
        request.first_response_at = at
        _settle(request, Clock.FIRST_RESPONSE)
    if request.resolved_at is None:
        request.resolved_at = at
        _settle(request, Clock.RESOLUTION)
        request.save()
    return request


def _settle(request: PartnerRequest, clock: str) -> None:
    state_field = f"{clock}_state"
    due = getattr(request, f"{clock}_due_at")
    done = request.first_response_at if clock == Clock.FIRST_RESPONSE else request.resolved_at
    if due is None or done is None:
        return
    setattr(request, state_field, ClockState.MET if done <= due else ClockState.MISSED)


def sla_clocks_evaluate(*, now: datetime | None = None) -> int:
    """Move open requests' clocks on; record each new at-risk or breach event once and
    notify it. Returns how many events were raised."""
    now = now or timezone.now()
    raised = 0
    open_requests = PartnerRequest.objects.filter(resolved_at__isnull=True).select_related(
        "partner", "partner__channel_manager", "sla_version"
    )
    for request in open_requests.iterator(chunk_size=500):
        try:
            raised += _evaluate_request(request, now)
        except CalendarError as error:
            # One request whose calendar cannot be read must not stop every other
            # tenant's clocks on every run; it is logged and left as it is.
            logger.warning(
                "SLA clocks of request %s (partner %s) skipped: %s",
                request.pk,
                request.partner.ref,
                error,
            )
    return raised


def _evaluate_request(request: PartnerRequest, now: datetime) -> int:
    if request.sla_version is not None:
        calendar_of(request.sla_version)  # read_clock gives up quietly; here it is logged
    raised = 0
    for clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION):
        if clock == Clock.FIRST_RESPONSE and request.first_response_at is not None:
            continue
        reading = read_clock(request, clock, now)
        if reading.state not in (ClockState.AT_RISK, ClockState.BREACHED):
            continue
        state_field = f"{clock}_state"
        if getattr(request, state_field) != reading.state:
            PartnerRequest.objects.filter(pk=request.pk).update(**{state_field: reading.state})
        kind = EventKind.AT_RISK if reading.state == ClockState.AT_RISK else EventKind.BREACHED
        if sla_clock_event_raise(request=request, clock=clock, kind=kind, now=now, reading=reading):
            raised += 1
    return raised
