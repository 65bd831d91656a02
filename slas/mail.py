"""An SLA event's e-mail to the partner's channel manager: queued when the event is
told (slas.services.events), sent at most once per event by a retrying task, and
queued again by beat's sweep when it never went out. A request message's e-mail to
the other side of the conversation (slas.services.messages) goes the same way, with
the same sweep.

The task lives here, beside the sending it retries, rather than in slas.tasks: the
services that queue it are the ones slas.tasks calls, so queueing it from there
would make the two import each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from prm.celery import app, queue_on_commit
from prm.tenancy.db import current_schema
from prm.tenancy.models import Tenant
from prm.tenancy.selectors import tenant_base_url

from .models import STAFF_MESSAGE_KINDS, MessageKind, RequestKind, RequestMessage, SlaEvent
from .selectors import request_message_recipients
from .templatetags.sla_markdown import render_message

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
    return _sweep(
        SlaEvent.objects.all(), "occurred_at", lambda pk: sla_event_mail_queue(event_id=pk), now
    )


def _sweep(
    rows: QuerySet[Any], written: str, queue: Callable[..., None], now: datetime | None
) -> int:
    """The sweeps' one way: the rows (events, messages) `written` over the last day and
    not sent within the margin of it or of their last requeue are marked requeued now
    and queued again, each once (rows another sweep holds are skipped)."""
    now = now or timezone.now()
    overdue_before = now - timedelta(seconds=settings.PRM_SLA_MAIL_OVERDUE_SECONDS)
    with transaction.atomic():
        unsent = list(
            rows.filter(
                notified_at__isnull=True,
                **{f"{written}__lt": overdue_before, f"{written}__gte": now - MAIL_SWEEP_MAX_AGE},
            )
            .exclude(mail_requeued_at__gte=overdue_before)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        rows.filter(pk__in=unsent).update(mail_requeued_at=now)
        for pk in unsent:
            queue(pk)
    return len(unsent)


# --- a request message's e-mail -------------------------------------------------------


def _tenant() -> Tenant | None:
    """The tenant the connection is set to (a request's, a task's), for its name and
    address; looked up by schema when the connection holds only a schema name."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.filter(schema_name=current_schema()).first()


def request_message_mail(
    *, message: RequestMessage, recipients: list[str]
) -> EmailMultiAlternatives:
    """The message's e-mail: plain text, and the Markdown rendered sanitised as HTML."""
    request = message.request
    tenant = _tenant()
    to_partner = message.kind in STAFF_MESSAGE_KINDS
    path = reverse(
        "portal:request_detail" if to_partner else "slas:request_detail",
        kwargs={"request_id": request.pk},
    )
    vendor = tenant.name if tenant is not None else ""
    # A header is one line (Django refuses a line break in one, for ever): the API
    # takes a subject with line breaks, the e-mail's subject has spaces there.
    topic = " ".join(request.subject.split())
    if message.kind == MessageKind.RESOLUTION:
        subject = f"Resolved: {topic}"
    elif to_partner and request.kind == RequestKind.LEAD:
        subject = f"Re: {topic} (lead)"
    elif to_partner:
        subject = f"Re: {topic}"
    else:
        subject = f"{' '.join(request.partner.name.split())} answered: {topic}"
    context = {
        "message": message,
        "partner_request": request,
        "partner": request.partner,
        "author": message.author,
        "vendor": vendor,
        "to_partner": to_partner,
        "url": (tenant_base_url(tenant=tenant) if tenant is not None else "") + path,
        "body_html": render_message(message.body),
    }
    mail = EmailMultiAlternatives(
        subject=(f"{subject} · {vendor}" if vendor and to_partner else subject)[:200],
        body=render_to_string("slas/email/request_message.txt", context),
        to=recipients,
    )
    mail.attach_alternative(
        render_to_string("slas/email/request_message.html", context), "text/html"
    )
    return mail


def request_message_mail_send(*, message: RequestMessage) -> bool:
    """Send the message's e-mail unless it went out already; True when sent now. The
    recipients are read when it is sent (slas.selectors.request_message_recipients) and
    recorded in `mailed_to`; with none (a partner without portal users or contact
    e-mail) it is marked done, sending nothing. Locked as sla_event_mail_send is."""
    with transaction.atomic():
        locked = (
            RequestMessage.objects.select_for_update(of=("self",))
            .select_related("request__partner__channel_manager", "author")
            .get(pk=message.pk)
        )
        if locked.notified_at is not None:
            return False
        recipients = request_message_recipients(request=locked.request, kind=locked.kind)
        if recipients:
            request_message_mail(message=locked, recipients=recipients).send(fail_silently=False)
        locked.notified_at = timezone.now()
        locked.mailed_to = recipients
        locked.save(update_fields=["notified_at", "mailed_to"])
    return bool(recipients)


@app.task(
    name="slas.send_request_message_mail",
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_request_message_mail(message_id: int) -> bool:
    message = RequestMessage.objects.filter(pk=message_id).first()
    return message is not None and request_message_mail_send(message=message)


def request_message_mail_queue(*, message_id: int) -> None:
    """Queue the message's e-mail once the transaction that stored it commits."""
    queue_on_commit(send_request_message_mail, message_id, sweep=MAIL_SWEEP)


def request_message_mail_sweep(*, now: datetime | None = None) -> int:
    """As sla_event_mail_sweep, for request messages: queue the e-mail of every message
    of the last day still unsent PRM_SLA_MAIL_OVERDUE_SECONDS after it was written (or
    after this sweep last queued it). Returns how many."""
    return _sweep(
        RequestMessage.objects.all(),
        "created_at",
        lambda pk: request_message_mail_queue(message_id=pk),
        now,
    )
