"""Writes of SLA policies, overrides and partner requests, and the clock evaluation.

The settings page, the API and `manage.py sla_defaults` all validate and apply
policies through `sla_policy_validate` / `sla_policy_save`, so a field means the same
thing and fails the same way at every door.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time

from prm.accounts.models import User
from prm.celery import queue_on_commit
from prm.errors import Errors
from prm.webhooks.models import WebhookEvent
from prm.webhooks.services import webhook_emit

from . import rules
from .calendar import BusinessCalendar, CalendarError
from .models import (
    TARGET_FIELDS,
    WEEKDAYS,
    Clock,
    ClockState,
    EventKind,
    Notification,
    PartnerRequest,
    PartnerSlaOverride,
    RequestKind,
    ReviewCadence,
    SlaEvent,
    SlaPolicy,
    SlaPolicyVersion,
)
from .selectors import notification_list

logger = logging.getLogger(__name__)

AT_RISK_FRACTION = Decimal("0.8")
# The beat entry (prm/settings/base.py) that queues an event's e-mail that was not.
MAIL_SWEEP = "slas-event-mail-sweep"
# Older events' unsent e-mails are left to their in-app notification: a mail that
# fails every time (an address the server refuses) is not tried forever, and a
# breach mailed days late is news no more.
MAIL_SWEEP_MAX_AGE = timedelta(days=1)

HOUR_TARGETS = rules.HOUR_TARGETS
INTEGER_TARGETS = ("min_monthly_won_orders", "min_monthly_calls")
# Every field a policy has in the API and in files, in a stable order.
POLICY_FIELDS = (
    "slug",
    "name",
    "description",
    "policies",
    *TARGET_FIELDS,
    "time_zone",
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "holidays",
    "escalation_name",
    "escalation_email",
    "review_cadence",
    "is_default",
)


def _decimal(
    value: Any,
    field: str,
    errors: Errors,
    *,
    places: int,
    minimum: Decimal,
    maximum: Decimal | None = None,
) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(field, f"“{value}” is not a number.")
        return None
    if not number.is_finite() or number < minimum or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        errors.add(field, f"{value} is out of range; use a number of at least {minimum}{bound}.")
        return None
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if quantized != number:
        errors.add(field, f"{value} has too many decimals; use at most {places}.")
        return None
    return quantized


def _integer(value: Any, field: str, errors: Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit():
        errors.add(field, f"“{value}” is not a whole number of at least 0.")
        return None
    return int(str(value).strip())


def _time(value: Any, field: str, errors: Errors) -> time | None:
    if isinstance(value, time):
        return value
    parsed = None
    # Only text: a number is no time of day (YAML 1.1 reads an unquoted 17:00 as 1020,
    # which parse_time would take for 10:20).
    if isinstance(value, str) and value:
        try:
            parsed = parse_time(value)
        except ValueError:  # well formed but impossible, like 25:00
            parsed = None
    if parsed is None:
        errors.add(field, f"“{value}” is not a time; write it like 09:00.")
    return parsed


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value))
    except ValueError:  # well formed but impossible, like 2026-02-30
        return None


def validate_targets(data: dict[str, Any], errors: Errors) -> dict[str, Any]:
    """The target fields present in `data`, parsed; problems go to `errors`."""
    cleaned: dict[str, Any] = {}
    for field in HOUR_TARGETS:
        if field in data:
            cleaned[field] = _decimal(
                data[field],
                field,
                errors,
                places=2,
                minimum=Decimal("0.01"),
                maximum=Decimal("99999"),
            )
    if "min_monthly_revenue" in data:
        cleaned["min_monthly_revenue"] = _decimal(
            data["min_monthly_revenue"],
            "min_monthly_revenue",
            errors,
            places=2,
            minimum=Decimal(0),
            maximum=Decimal("999999999999"),
        )
    for field in INTEGER_TARGETS:
        if field in data:
            cleaned[field] = _integer(data[field], field, errors)
    if "uptime_percent" in data:
        cleaned["uptime_percent"] = _decimal(
            data["uptime_percent"],
            "uptime_percent",
            errors,
            places=3,
            minimum=Decimal(0),
            maximum=Decimal(100),
        )
    return cleaned


def sla_policy_validate(data: dict[str, Any], *, policy: SlaPolicy | None = None) -> dict[str, Any]:
    """Parse and check policy fields (all of them for a new policy, the given ones for
    an existing one). Raises ValidationError naming every bad field; writes nothing."""
    errors = Errors()
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    for field in unknown:
        errors.add(
            field, f"“{field}” is not a policy field; the fields are {', '.join(POLICY_FIELDS)}."
        )
    cleaned = validate_targets(data, errors)
    for field in ("slug", "name"):
        if field in data or policy is None:
            value = str(data.get(field) or "").strip()
            if not value:
                errors.add(field, "This field is required.")
            cleaned[field] = value
    if cleaned.get("slug"):
        try:
            validate_slug(cleaned["slug"])
        except ValidationError:
            errors.add("slug", "Use letters, digits, hyphens and underscores only.")
        taken = SlaPolicy.objects.filter(slug=cleaned["slug"])
        if policy is not None:
            taken = taken.exclude(pk=policy.pk)
        if taken.exists():
            errors.add("slug", f"Another policy already has the slug “{cleaned['slug']}”.")
    for field in ("description", "policies", "escalation_name"):
        if field in data:
            cleaned[field] = str(data[field] or "").strip()
    if "escalation_email" in data:
        email = str(data["escalation_email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add("escalation_email", f"“{email}” is not an e-mail address.")
        cleaned["escalation_email"] = email
    if "time_zone" in data:
        zone = str(data["time_zone"] or "").strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.add("time_zone", f"“{zone}” is not a time zone; use a name like Europe/Berlin.")
        cleaned["time_zone"] = zone
    if "working_days" in data:
        days = data["working_days"]
        if isinstance(days, str):
            days = days.replace(";", ",").split(",")
        names = [str(day).strip().lower()[:3] for day in days or [] if str(day).strip()]
        bad = [name for name in names if name not in WEEKDAYS]
        if bad or not names:
            errors.add(
                "working_days",
                f"Give one or more of {', '.join(WEEKDAYS)}"
                + (f"; not {', '.join(bad)}." if bad else "."),
            )
        cleaned["working_days"] = [day for day in WEEKDAYS if day in names]
    for field in ("working_hours_start", "working_hours_end"):
        if field in data:
            cleaned[field] = _time(data[field], field, errors)
    if "holidays" in data:
        holidays: list[date] = []
        for value in data["holidays"] or []:
            parsed = _date(value)
            if parsed is None:
                errors.add("holidays", f"“{value}” is not a date; write it like 2026-12-25.")
            else:
                holidays.append(parsed)
        cleaned["holidays"] = sorted(set(holidays))
    if "review_cadence" in data:
        cadence = str(data["review_cadence"] or "")
        if cadence not in ReviewCadence.values:
            errors.add("review_cadence", f"Use one of {', '.join(ReviewCadence.values)}.")
        cleaned["review_cadence"] = cadence
    if "is_default" in data:
        if not isinstance(data["is_default"], bool):
            errors.add("is_default", "Use true or false.")
        cleaned["is_default"] = bool(data["is_default"])
    # The rules about fields together (slas.rules), asked of the policy as it would
    # stand: its stored values (or a new policy's defaults) under the given ones.
    stands = policy if policy is not None else SlaPolicy()
    after = {field: cleaned.get(field, getattr(stands, field)) for field in RULE_FIELDS}
    for field, messages in rules.policy_problems(after, given=set(data), skip=set(errors)).items():
        for message in messages:
            errors.add(field, message)
    if policy is not None and not errors:
        before = {field: getattr(policy, field) for field in RULE_FIELDS}
        _check_partners_keep_the_rules(
            policy=policy, before=before, after=after, given=set(data), errors=errors
        )
    errors.raise_if_any()
    return cleaned


RULE_FIELDS = (*TARGET_FIELDS, *rules.CALENDAR_FIELDS)
# Partners' problems said per field at most; a count says how many more there are.
PARTNERS_NAMED = 3


def _check_partners_keep_the_rules(
    *,
    policy: SlaPolicy,
    before: dict[str, Any],
    after: dict[str, Any],
    given: set[str],
    errors: Errors,
) -> None:
    """A change of a policy may not break the rules for a partner on it with its own
    targets (its first response longer than the new resolution, say)."""
    broken: dict[str, list[str]] = {}  # policy field -> a message per partner it breaks
    overrides = PartnerSlaOverride.objects.filter(partner__sla=policy).select_related("partner")
    for override in overrides.order_by("partner__name", "partner__ref"):
        own = {field: getattr(override, field) for field in TARGET_FIELDS}
        found = rules.problems_for_partner_after_change(
            own,
            before,
            after,
            given=given,
            whose=override.partner.name,
            policy_name=policy.name,
        )
        for field, messages in found.items():
            broken.setdefault(field, []).extend(messages)
    for field, messages in broken.items():
        for message in messages[:PARTNERS_NAMED]:
            errors.add(field, message)
        if len(messages) > PARTNERS_NAMED:
            errors.add(
                field,
                f"And {len(messages) - PARTNERS_NAMED} more like these, for other partners "
                "with their own targets; the policy's page lists its partners.",
            )


def policy_data(policy: SlaPolicy) -> dict[str, Any]:
    """Every field of a policy in the API's (and files') form."""
    data: dict[str, Any] = {}
    for field in POLICY_FIELDS:
        value = getattr(policy, field)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, time):
            value = value.strftime("%H:%M")
        elif field == "holidays":
            value = [day.isoformat() for day in value]
        data[field] = value
    return data


def _new_version(
    policy: SlaPolicy, *, actor: User | None, source: str, changed: list[str]
) -> SlaPolicyVersion:
    return SlaPolicyVersion.objects.create(
        policy=policy,
        number=policy.version,
        data=policy_data(policy),
        changed_fields=changed,
        created_by=actor,
        source=source,
        created_at=timezone.now(),
    )


def sla_policy_save(
    *,
    data: dict[str, Any],
    policy: SlaPolicy | None = None,
    actor: User | None,
    source: str = "app",
) -> tuple[SlaPolicy, list[str]]:
    """Create a policy, or change one; a change makes a new version. Returns the policy
    and the names of the fields that changed. Making a policy the default takes the
    default away from the previous one in the same transaction."""
    cleaned = sla_policy_validate(data, policy=policy)
    with transaction.atomic():
        creating = policy is None
        target = policy or SlaPolicy()
        if not creating:
            target = SlaPolicy.objects.select_for_update().get(pk=target.pk)
        before = policy_data(target) if not creating else {}
        make_default = cleaned.pop("is_default", None)
        for field, value in cleaned.items():
            setattr(target, field, value)
        if make_default is False and target.is_default:
            raise ValidationError(
                {
                    "is_default": [
                        "Make another policy the default instead; a tenant always has one."
                    ]
                }
            )
        if make_default:
            SlaPolicy.objects.filter(is_default=True).exclude(pk=target.pk).update(is_default=False)
            target.is_default = True
        after = policy_data(target)
        changed = [field for field in POLICY_FIELDS if before.get(field) != after.get(field)]
        if creating:
            target.version = 1
            target.save()
            _new_version(target, actor=actor, source=source, changed=changed)
        elif changed:
            target.version += 1
            target.save()
            _new_version(target, actor=actor, source=source, changed=changed)
    return target, changed if not creating else ["created"]


def sla_defaults_apply(
    *, data: dict[str, Any], actor: User | None = None
) -> tuple[SlaPolicy, list[str]]:
    """Set the tenant's default policy from a file's contents (`sla_defaults`): the
    policy with the file's slug is created or changed, and becomes the default."""
    if not isinstance(data, dict):
        raise ValidationError(
            {"file": ["The file must hold one policy: a mapping of field names to values."]}
        )
    data = {**data, "is_default": True}
    slug = str(data.get("slug") or "").strip()
    existing = SlaPolicy.objects.filter(slug=slug).first() if slug else None
    return sla_policy_save(data=data, policy=existing, actor=actor, source="command")


# --- effective SLA of a partner ---------------------------------------------------------


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


def partner_sla_override_set(
    *, partner: Any, targets: dict[str, Any], actor: User | None
) -> PartnerSlaOverride:
    """Replace the partner's own targets (empty ones inherit the policy's)."""
    errors = Errors()
    unknown = sorted(set(targets) - set(TARGET_FIELDS))
    for field in unknown:
        errors.add(field, f"“{field}” is not a target; targets are {', '.join(TARGET_FIELDS)}.")
    cleaned = validate_targets(targets, errors)
    if not errors:
        # The rules (slas.rules) asked of the targets as they would stand: the given
        # ones over the partner's current own ones, the rest the policy's.
        policy = SlaPolicy.objects.get(pk=partner.sla_id)
        current = PartnerSlaOverride.objects.filter(partner=partner).first()
        own = {field: getattr(current, field) if current else None for field in TARGET_FIELDS}
        own.update(cleaned)
        found = rules.override_problems(
            own,
            {field: getattr(policy, field) for field in RULE_FIELDS},
            given=set(cleaned),
            whose=partner.name,
            policy_name=policy.name,
        )
        for field, messages in found.items():
            for message in messages:
                errors.add(field, message)
    errors.raise_if_any()
    override, _ = PartnerSlaOverride.objects.get_or_create(partner=partner)
    for field, value in cleaned.items():
        setattr(override, field, value)
    override.save()
    return override


# --- partner requests and their clocks --------------------------------------------------


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


class PolicyCalendarError(CalendarError):
    """A request's deadlines cannot be placed in its policy's calendar; the message
    says which policy, why, and who can fix it."""


def current_version(policy: SlaPolicy) -> SlaPolicyVersion:
    version = policy.versions.filter(number=policy.version).first()
    if version is None:  # a policy that predates versioning gets its first one now
        version = _new_version(policy, actor=None, source="app", changed=[])
    return version


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
        if _raise_event(request=request, clock=clock, kind=kind, now=now, reading=reading):
            raised += 1
    return raised


def _raise_event(
    *, request: PartnerRequest, clock: str, kind: str, now: datetime, reading: ClockReading
) -> bool:
    label = Clock(clock).label.lower()
    due = ""
    if reading.due_at and request.sla_version is not None:
        # In the support calendar's time zone, named: the reader may be anywhere.
        zone = calendar_of(request.sla_version).zone
        due = f", due {reading.due_at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"
    detail = (
        f"{request.partner.name}: “{request.subject}” — {label} "
        + ("is at risk" if kind == EventKind.AT_RISK else "breached its target")
        + due
    )
    try:
        with transaction.atomic():
            event = SlaEvent.objects.create(
                partner=request.partner,
                request=request,
                clock=clock,
                kind=kind,
                detail=detail,
                occurred_at=now,
            )
    except IntegrityError:
        return False  # raised before: events happen once
    sla_event_notify(event=event)
    webhook_emit(
        event=WebhookEvent.SLA_AT_RISK if kind == EventKind.AT_RISK else WebhookEvent.SLA_BREACHED,
        data={
            "partner": request.partner.ref,
            "request": request.pk,
            "clock": clock,
            "due_at": reading.due_at,
            "detail": detail,
        },
    )
    return True


def sla_event_notify(*, event: SlaEvent) -> None:
    """Tell the partner's channel manager: in the app, by e-mail, once per event."""
    manager = event.partner.channel_manager
    title = f"SLA {event.get_kind_display().lower()}: {event.partner.name}"
    Notification.objects.create(
        user=manager,
        event=event,
        title=title,
        body=event.detail,
        link=f"/partners/{event.partner.ref}/",
    )

    from .tasks import send_event_mail  # tasks import services; import here, not at the top

    queue_on_commit(send_event_mail, event.pk, sweep=MAIL_SWEEP)


def sla_event_mail_send(*, event: SlaEvent) -> bool:
    """Send the event's e-mail unless it went out already; True when sent now.

    The event row stays locked from the check to the mark, so a redelivered task
    waits and then finds it sent. (A crash between sending and committing can still
    send it twice: mail is at least once.)"""
    with transaction.atomic():
        locked = (
            SlaEvent.objects.select_for_update(of=("self",))
            .select_related("partner__channel_manager")
            .get(pk=event.pk)
        )
        if locked.notified_at is not None:
            return False
        manager = locked.partner.channel_manager
        title = f"SLA {locked.get_kind_display().lower()}: {locked.partner.name}"
        send_mail(title, locked.detail, None, [manager.email], fail_silently=False)
        locked.notified_at = timezone.now()
        locked.save(update_fields=["notified_at"])
    return True


def sla_event_mail_sweep(*, now: datetime | None = None) -> int:
    """Queue the e-mail of every event of the last day that has not gone out
    PRM_SLA_MAIL_OVERDUE_SECONDS after the event (its message was never queued, the
    broker being down, or was lost), or after this sweep last queued it. Returns how
    many. Sending stays once (sla_event_mail_send checks and marks under a lock).

    The margin also spaces out this sweep's messages for an e-mail whose task is
    retrying (SMTP down): one more message per margin, each sent at most once."""
    from .tasks import send_event_mail  # tasks import services; import here, not at the top

    now = now or timezone.now()
    overdue_before = now - timedelta(seconds=settings.PRM_SLA_MAIL_OVERDUE_SECONDS)
    with transaction.atomic():
        unsent = list(
            SlaEvent.objects.filter(
                notified_at__isnull=True,
                occurred_at__lt=overdue_before,
                occurred_at__gte=now - MAIL_SWEEP_MAX_AGE,
            )
            .exclude(mail_requeued_at__gte=overdue_before)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        SlaEvent.objects.filter(pk__in=unsent).update(mail_requeued_at=now)
        for event_id in unsent:
            queue_on_commit(send_event_mail, event_id, sweep=MAIL_SWEEP)
    return len(unsent)


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark the user's unread notifications (or one of them) read; returns how many."""
    unread = notification_list(user=user, unread_only=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
