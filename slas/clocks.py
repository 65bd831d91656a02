"""Where a partner request's clocks stand: its deadlines read in the business
calendar of the policy version it was opened under. Reads only: the request pages,
the compliance page and the API read clocks live through here, and the beat
evaluation (slas.services.requests) moves the stored states on from the same
readings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_time

from .calendar import BusinessCalendar, CalendarError
from .models import WEEKDAYS, Clock, ClockState, PartnerRequest, SlaPolicyVersion

AT_RISK_FRACTION = Decimal("0.8")


def calendar_of(version: SlaPolicyVersion) -> BusinessCalendar:
    """The business calendar a version holds. Raises CalendarError for one that cannot
    be (stored before slas.rules, or written around them)."""
    data = version.data
    try:
        return BusinessCalendar(
            time_zone=data["time_zone"],
            working_days=frozenset(WEEKDAYS.index(day) for day in data["working_days"]),
            start=parse_time(data["working_hours_start"]) or time(9),
            end=parse_time(data["working_hours_end"]) or time(17),
            holidays=frozenset(date.fromisoformat(day) for day in data["holidays"]),
        )
    except CalendarError:
        raise
    except (KeyError, TypeError, ValueError) as error:  # a missing or malformed field
        raise CalendarError(f"Its stored support calendar is unreadable ({error!r}).") from error


@dataclass(frozen=True)
class ClockReading:
    state: str
    used: Decimal | None  # fraction of the target used so far
    left: timedelta | None  # business time left (negative when overdue)
    due_at: datetime | None


def read_clock(request: PartnerRequest, clock: str, now: datetime | None = None) -> ClockReading:
    """Where a clock stands now, in the business time of the request's policy version."""
    now = now or timezone.now()
    due = getattr(request, f"{clock}_due_at")
    target_hours = getattr(request, f"{clock}_target_hours")
    done = request.first_response_at if clock == Clock.FIRST_RESPONSE else request.resolved_at
    stored = getattr(request, f"{clock}_state")
    if due is None or target_hours is None or request.sla_version is None:
        return ClockReading(ClockState.NONE, None, None, None)
    until = done or now
    target = timedelta(hours=float(target_hours))
    try:
        calendar = calendar_of(request.sla_version)
    except CalendarError:
        # The version's calendar became unreadable after the deadline was set (only
        # by writing around the services); the deadline and stored state still hold.
        return ClockReading(stored, None, None, due)
    used_time = calendar.between(request.opened_at, until)
    used = Decimal(used_time / target).quantize(Decimal("0.001"))
    left = target - used_time if until <= due else -calendar.between(due, until)
    if done is not None:
        return ClockReading(stored, used, left, due)
    if until >= due:
        state = ClockState.BREACHED
    elif used >= AT_RISK_FRACTION:
        state = ClockState.AT_RISK
    else:
        state = ClockState.ON_TRACK
    return ClockReading(state, used, left, due)
