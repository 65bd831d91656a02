"""The rules an SLA policy, and a partner's own targets, must keep; in one place.

slas.services asks these about a policy (or a partner's targets) as it would stand
after a change, so the API, the pages and `manage.py sla_defaults` refuse the same
things with the same messages:

- a target that logically comes after another is not shorter than it: a request is
  resolved no sooner than it is first answered (ORDERED_TARGETS);
- the support calendar has at least an hour of working time a week;
- its holidays leave working time, and every hours target fits, in the days the clocks
  look ahead (slas.calendar.LOOKAHEAD_DAYS); otherwise no deadline can be placed.

Each function answers messages by field name; nothing here reads or writes the
database. Rules about a single field's form (a number, a time zone) stay with the
parsing in slas.services.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from .calendar import LOOKAHEAD_DAYS, MAX_DAYS, BusinessCalendar
from .models import WEEKDAYS

Messages = dict[str, list[str]]

HOUR_TARGETS = ("first_response_hours", "resolution_hours", "lead_acceptance_hours")
# (earlier, later): the later target may not be shorter than the earlier one.
ORDERED_TARGETS = (("first_response_hours", "resolution_hours"),)
CALENDAR_FIELDS = (
    "time_zone",
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "holidays",
)
MIN_WORKING_TIME_A_WEEK = timedelta(hours=1)

LABELS = {
    "first_response_hours": "first response",
    "resolution_hours": "resolution",
    "lead_acceptance_hours": "lead acceptance",
}


def _add(messages: Messages, field: str, message: str) -> None:
    messages.setdefault(field, []).append(message)


def _hours(value: Decimal | float) -> str:
    number = format(Decimal(str(value)).normalize(), "f")
    return f"{number} business hour{'' if Decimal(number) == 1 else 's'}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]  # not str.capitalize: it lowers partner names


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'' if hours == 1 else 's'}"] if hours else []
    if minutes or not parts:
        parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return " ".join(parts)


# --- targets in order -------------------------------------------------------------------


@dataclass(frozen=True)
class OutOfOrder:
    earlier: str
    later: str
    message: str


def targets_out_of_order(
    targets: Mapping[str, Any], *, origin: Mapping[str, str] | None = None
) -> list[OutOfOrder]:
    """Pairs of ORDERED_TARGETS whose later target is shorter than the earlier one.
    `origin` says where a value comes from ("Northwind's own"), for the message."""
    origin = origin or {}
    found = []
    for earlier, later in ORDERED_TARGETS:
        first, then = targets.get(earlier), targets.get(later)
        if first is None or then is None or Decimal(str(then)) >= Decimal(str(first)):
            continue

        def said(field: str, value: Any) -> str:
            where = f", {origin[field]}" if field in origin else ""
            return f"{LABELS[field]} ({_hours(value)}{where})"

        found.append(
            OutOfOrder(
                earlier,
                later,
                f"{_sentence(said(later, then))} is shorter than {said(earlier, first)}: "
                f"a request is answered first and resolved after. Make {LABELS[later]} at "
                f"least {_hours(first)}, or {LABELS[earlier]} at most {_hours(then)}.",
            )
        )
    return found


def _field_to_name(earlier: str, later: str, given: Collection[str]) -> str:
    # The field the caller changed, so a page puts the message where the user typed;
    # the later one when both (or neither) were sent.
    return earlier if earlier in given and later not in given else later


# --- the support calendar ---------------------------------------------------------------


def calendar_from(values: Mapping[str, Any]) -> BusinessCalendar:
    """The business calendar of a policy's fields (model values: times, dates).
    Raises CalendarError for one that cannot be (see calendar_problems first)."""
    return BusinessCalendar(
        time_zone=values["time_zone"],
        working_days=frozenset(WEEKDAYS.index(day) for day in values["working_days"]),
        start=values["working_hours_start"],
        end=values["working_hours_end"],
        holidays=frozenset(values["holidays"]),
    )


def today_in(time_zone: str) -> date:
    return timezone.now().astimezone(ZoneInfo(time_zone)).date()


def calendar_problems(
    values: Mapping[str, Any], *, skip: Collection[str] = (), today: date | None = None
) -> Messages:
    """What keeps the calendar in `values` from placing deadlines. Rules reading a
    field in `skip` (one that failed to parse) are not asked."""
    messages: Messages = {}
    hours_in_order = bool(
        {"working_hours_start", "working_hours_end"} & set(skip)
    ) or _hours_in_order(values, messages)
    if set(skip) & set(CALENDAR_FIELDS) or not hours_in_order:
        return messages  # the start-before-end rule is still said, with the parse errors
    # Values kept from the database were never parsed here; one stored around the
    # services must be named, not crash the rules.
    days = values["working_days"]
    if not days or any(day not in WEEKDAYS for day in days):
        _add(messages, "working_days", f"Give one or more of {', '.join(WEEKDAYS)}.")
        return messages
    try:
        ZoneInfo(values["time_zone"])
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        _add(messages, "time_zone", "Use a time zone name like Europe/Berlin.")
        return messages
    start, end = values["working_hours_start"], values["working_hours_end"]
    day = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    week = day * len(set(days))
    if week < MIN_WORKING_TIME_A_WEEK:
        _add(
            messages,
            "working_hours_end",
            f"This support calendar has {_duration(week)} of working time a week; SLA "
            f"clocks need at least {_duration(MIN_WORKING_TIME_A_WEEK)}. Make the working "
            "hours longer or add working days.",
        )
        return messages
    calendar = calendar_from(values)
    least, first_day = calendar.least_working_time(from_day=today or today_in(calendar.time_zone))
    if not least:
        last_day = first_day + timedelta(days=LOOKAHEAD_DAYS - 1)
        _add(
            messages,
            "holidays",
            f"The holidays leave no working time from {first_day} to {last_day}; SLA "
            f"clocks look at most {MAX_DAYS} days ahead for it, so a request opened then "
            "would get no deadline. Remove holidays in that time or add working days.",
        )
    return messages


def _hours_in_order(values: Mapping[str, Any], messages: Messages) -> bool:
    start: time | None = values.get("working_hours_start")
    end: time | None = values.get("working_hours_end")
    if start is not None and end is not None and start >= end:
        _add(
            messages,
            "working_hours_end",
            "Working hours must end after they start, on the same day.",
        )
        return False
    return True


@dataclass(frozen=True)
class TooLong:
    target: str
    message: str


def targets_too_long(
    targets: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    fields: Collection[str] = HOUR_TARGETS,
    origin: Mapping[str, str] | None = None,
    today: date | None = None,
) -> list[TooLong]:
    """Hours targets among `fields` longer than the working time the calendar in
    `values` holds in the days the clocks look ahead: no deadline could be placed.
    Ask calendar_problems first; a calendar with problems is not judged here."""
    origin = origin or {}
    calendar = calendar_from(values)
    least, first_day = calendar.least_working_time(from_day=today or today_in(calendar.time_zone))
    found = []
    for field in HOUR_TARGETS:
        value = targets.get(field)
        if field not in fields or value is None:
            continue
        if timedelta(hours=float(value)) <= least:
            continue
        where = f" ({origin[field]})" if field in origin else ""
        most = Decimal(least.total_seconds() / 3600).quantize(Decimal("0.01"), "ROUND_DOWN")
        found.append(
            TooLong(
                field,
                f"{_sentence(_hours(value))} of {LABELS[field]}{where} do not fit in the "
                f"support calendar: SLA clocks look {MAX_DAYS} days ahead for a deadline, "
                f"and the leanest such stretch, from {first_day}, holds only "
                f"{_hours(most)}. Choose at most {_hours(most)}, or add working time.",
            )
        )
    return found


def _calendar_field_to_name(given: Collection[str]) -> str | None:
    return next((field for field in CALENDAR_FIELDS if field in given), None)


# --- the doors' questions ---------------------------------------------------------------


def policy_problems(
    values: Mapping[str, Any],
    *,
    given: Collection[str],
    skip: Collection[str] = (),
    today: date | None = None,
) -> Messages:
    """Every rule about a policy as it would stand (`values`: every target and calendar
    field, model values). `given`: the fields the caller sent; `skip`: those that failed
    to parse, whose rules are not asked."""
    messages = calendar_problems(values, skip=skip, today=today)
    for problem in targets_out_of_order({f: v for f, v in values.items() if f not in skip}):
        _add(messages, _field_to_name(problem.earlier, problem.later, given), problem.message)
    if messages or skip:
        return messages  # a calendar or target that is not right cannot be measured
    calendar_field = _calendar_field_to_name(given)
    for too_long in targets_too_long(values, values, today=today):
        field = too_long.target
        if field not in given and calendar_field is not None:
            field = calendar_field  # the calendar shrank under an unchanged target
        _add(messages, field, too_long.message)
    return messages


def _override_findings(
    own: Mapping[str, Any],
    policy: Mapping[str, Any],
    *,
    given: Collection[str],
    whose: str,
    policy_name: str,
    today: date | None,
) -> list[tuple[tuple[str, ...], str, str]]:
    """(what is wrong, the target to name, message) for a partner's targets."""
    overridden = {field for field, value in own.items() if value is not None}
    effective = {
        field: own[field] if field in overridden else policy.get(field)
        for field in set(own) | set(policy)
    }
    origin = {
        field: f"{whose}'s own target" if field in overridden else f"inherited from {policy_name}"
        for field in HOUR_TARGETS
    }
    findings: list[tuple[tuple[str, ...], str, str]] = []
    for problem in targets_out_of_order(effective, origin=origin):
        if overridden & {problem.earlier, problem.later}:
            findings.append(
                (
                    ("order", problem.earlier, problem.later),
                    _field_to_name(problem.earlier, problem.later, given),
                    problem.message,
                )
            )
    if not calendar_problems(policy, today=today):
        for too_long in targets_too_long(
            effective, policy, fields=overridden, origin=origin, today=today
        ):
            findings.append((("fit", too_long.target), too_long.target, too_long.message))
    return findings


def override_problems(
    own: Mapping[str, Any],
    policy: Mapping[str, Any],
    *,
    given: Collection[str],
    whose: str,
    policy_name: str,
    today: date | None = None,
) -> Messages:
    """Rules about a partner's targets: `own` its own (None = inherited), `policy` the
    values of its policy. Only rules an own target takes part in are asked: a policy's
    own problems are the policy's to fix. Messages are named by target."""
    messages: Messages = {}
    for _what, field, message in _override_findings(
        own, policy, given=given, whose=whose, policy_name=policy_name, today=today
    ):
        _add(messages, field, message)
    return messages


def problems_for_partner_after_change(
    own: Mapping[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    given: Collection[str],
    whose: str,
    policy_name: str,
    today: date | None = None,
) -> Messages:
    """What a change of a policy (`before` -> `after`) breaks for one partner with own
    targets `own`, named by the policy field to change. A problem the partner had
    before the change is not the change's."""

    def findings(policy: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
        return _override_findings(
            own, policy, given=(), whose=whose, policy_name=policy_name, today=today
        )

    had = {what for what, _field, _message in findings(before)}
    messages: Messages = {}
    for what, _target, message in findings(after):
        if what in had:
            continue
        if what[0] == "order":
            # The side the policy sets; the partner's own side is not this change's.
            _kind, earlier, later = what
            field = later if own.get(later) is None else earlier
        else:
            field = _calendar_field_to_name(given) or "holidays"
        _add(messages, field, message)
    return messages
