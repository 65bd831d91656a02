"""An SLA event's e-mail to the partner's channel manager: queued when the event is
told (slas.services.events), sent at most once per event by a retrying task, and
queued again by beat's sweep when it never went out.

The task lives here, beside the sending it retries, rather than in slas.tasks: the
services that queue it are the ones slas.tasks calls, so queueing it from there
would make the two import each other."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from prm.celery import app, queue_on_commit

from .models import SlaEvent

# The beat entry (prm/settings/base.py) that queues an event's e-mail that was not.
MAIL_SWEEP = "slas-event-mail-sweep"
# Older events' unsent e-mails are left to their in-app notification: a mail that
# fails every time (an address the server refuses) is not tried forever, and a
# breach mailed days late is news no more.
MAIL_SWEEP_MAX_AGE = timedelta(days=1)


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


@app.task(
    name="slas.send_event_mail",
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_event_mail(event_id: int) -> bool:
    event = SlaEvent.objects.select_related("partner__channel_manager").filter(pk=event_id).first()
    return event is not None and sla_event_mail_send(event=event)


def sla_event_mail_queue(*, event_id: int) -> None:
    """Queue the event's e-mail once the transaction that recorded it commits."""
    queue_on_commit(send_event_mail, event_id, sweep=MAIL_SWEEP)


def sla_event_mail_sweep(*, now: datetime | None = None) -> int:
    """Queue the e-mail of every event of the last day that has not gone out
    PRM_SLA_MAIL_OVERDUE_SECONDS after the event (its message was never queued, the
    broker being down, or was lost), or after this sweep last queued it. Returns how
    many. Sending stays once (sla_event_mail_send checks and marks under a lock).

    The margin also spaces out this sweep's messages for an e-mail whose task is
    retrying (SMTP down): one more message per margin, each sent at most once."""
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
            sla_event_mail_queue(event_id=event_id)
    return len(unsent)
