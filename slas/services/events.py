"""SLA events: a clock at risk or breached, a monthly minimum missed. Each is
recorded once (a unique constraint, whatever the number of evaluations), told to the
partner's channel manager in the app and by e-mail (slas.mail), and sent as an
`sla.at_risk` / `sla.breached` webhook; and the reader's notifications marked read."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from prm.accounts.models import User
from prm.webhooks.models import WebhookEvent
from prm.webhooks.services import webhook_emit

from ..clocks import ClockReading, calendar_of
from ..compliance import partner_month_compliance, partners_judged, previous_month
from ..mail import sla_event_mail_queue
from ..models import Clock, EventKind, Notification, PartnerRequest, SlaEvent
from ..selectors import notification_list


def sla_clock_event_raise(
    *, request: PartnerRequest, clock: str, kind: str, now: datetime, reading: ClockReading
) -> bool:
    """Record a clock's at-risk or breach event and tell it; False when it was
    recorded before."""
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


def sla_minimums_evaluate(*, month: date | None = None) -> int:
    """Judge every partner's month (default: the last complete one) against its
    monthly minimums (slas.compliance); returns how many missed minimums were recorded
    now (0 for ones recorded before)."""
    month = (month or previous_month()).replace(day=1)
    raised = 0
    for partner in partners_judged(month):
        for reading in partner_month_compliance(partner=partner, month=month):
            if reading.met is not False:
                continue
            detail = (
                f"{partner.name}: {reading.label} in {month:%B %Y} were {reading.actual}, "
                f"below the monthly minimum of {reading.minimum}."
            )
            try:
                with transaction.atomic():
                    event = SlaEvent.objects.create(
                        partner=partner,
                        kind=EventKind.MINIMUM_MISSED,
                        month=month,
                        target=reading.target,
                        detail=detail,
                        occurred_at=timezone.now(),
                    )
            except IntegrityError:
                continue  # recorded by an earlier evaluation
            sla_event_notify(event=event)
            webhook_emit(
                event=WebhookEvent.SLA_BREACHED,
                data={
                    "partner": partner.ref,
                    "month": month.isoformat(),
                    "target": reading.target,
                    "minimum": reading.minimum,
                    "actual": reading.actual,
                    "detail": detail,
                },
            )
            raised += 1
    return raised


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
    sla_event_mail_queue(event_id=event.pk)


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark the user's unread notifications (or one of them) read; returns how many."""
    unread = notification_list(user=user, unread_only=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
