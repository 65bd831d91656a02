"""SLA event e-mails that could not be queued (the broker was down when the event was
raised) or were lost: the evaluation still goes through, beat's sweep queues the
e-mail again once overdue, and it is sent once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from slas.models import EventKind, Notification, PartnerRequest, SlaEvent
from slas.tasks import evaluate_clocks, send_event_mail, sweep_event_mails
from tests.broker_outage import broker_unreachable
from tests.factories import PartnerFactory

OVERDUE_SECONDS = 600


@pytest.fixture(autouse=True)
def _margin(settings: Any) -> None:
    settings.PRM_SLA_MAIL_OVERDUE_SECONDS = OVERDUE_SECONDS


@contextmanager
def queued_mails() -> Iterator[list[int]]:
    """The event ids `send_event_mail` is queued with meanwhile (nothing is published)."""
    queued: list[int] = []
    with mock.patch.object(send_event_mail, "delay", side_effect=lambda pk: queued.append(pk)):
        yield queued


def test_a_breach_raised_while_the_broker_is_down_is_mailed_by_the_sweep(
    committed_overdue_request: PartnerRequest,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    caplog: Any,
) -> None:
    # given a committed request in alpha, long past its first-response target
    request = committed_overdue_request
    with in_tenant(tenant_a):
        manager_email = request.partner.channel_manager.email
    mail.outbox.clear()

    # when beat's clock evaluation runs in alpha while the broker refuses connections
    with (
        in_tenant(tenant_a),
        broker_unreachable(),
        caplog.at_level(logging.WARNING, logger="prm.celery"),
    ):
        raised = evaluate_clocks()

    # then it goes through: the breach is recorded and notified in the app
    assert raised >= 1
    with in_tenant(tenant_a):
        event = SlaEvent.objects.get(request=request)
        assert Notification.objects.filter(event=event).count() == 1
    assert event.kind == EventKind.BREACHED
    # and its e-mail waits, unsent, and the log says who will queue it
    assert event.notified_at is None
    assert mail.outbox == []
    assert "slas-event-mail-sweep" in caplog.text

    # when beat's sweep runs before the e-mail is overdue
    with in_tenant(tenant_a), queued_mails() as queued:
        sweep_event_mails()
    # then it leaves it alone
    assert event.pk not in queued

    # when it runs once the e-mail has waited longer than PRM_SLA_MAIL_OVERDUE_SECONDS
    with in_tenant(tenant_a):
        SlaEvent.objects.filter(pk=event.pk).update(
            occurred_at=timezone.now() - timedelta(seconds=OVERDUE_SECONDS + 5)
        )
        with queued_mails() as queued:
            sweep_event_mails()
    # then it queues the e-mail, once
    assert queued.count(event.pk) == 1

    # when the queued task runs, and a second message for it after
    with in_tenant(tenant_a):
        assert send_event_mail(event.pk) is True
        assert send_event_mail(event.pk) is False
        event.refresh_from_db()
    # then the manager got one e-mail, and the event says it went out
    assert [message.to for message in mail.outbox] == [[manager_email]]
    assert event.notified_at is not None
    # and a later sweep has nothing more to queue for it
    with in_tenant(tenant_a):
        SlaEvent.objects.filter(pk=event.pk).update(
            mail_requeued_at=timezone.now() - timedelta(seconds=OVERDUE_SECONDS + 5)
        )
        with queued_mails() as queued:
            sweep_event_mails()
    assert event.pk not in queued


@pytest.mark.django_db
def test_the_sweep_queues_unsent_mails_of_the_last_day_once_per_margin(
    in_tenant: Callable[..., Any], tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    overdue = now - timedelta(seconds=OVERDUE_SECONDS + 60)
    with in_tenant(tenant_a):
        # given events whose e-mail went out or not, raised lately or long ago
        partner = PartnerFactory.create()

        def event(target: str, occurred_at: Any, **fields: Any) -> int:
            made = SlaEvent.objects.create(
                partner=partner,
                kind=EventKind.MINIMUM_MISSED,
                month=date(2026, 1, 1),
                target=target,
                occurred_at=occurred_at,
                **fields,
            )
            return int(made.pk)

        events = {
            "unsent, just raised": event("a", now),
            "unsent, overdue": event("b", overdue),
            "sent": event("c", overdue, notified_at=overdue),
            "unsent, queued again lately": event("d", overdue, mail_requeued_at=now),
            "unsent, queued again long ago": event(
                "e", now - timedelta(hours=3), mail_requeued_at=overdue
            ),
            "unsent, two days old": event("f", now - timedelta(days=2)),
        }
        names = {pk: name for name, pk in events.items()}

        # when beat's sweep runs
        with queued_mails() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_event_mails()
        # then it queued the overdue unsent e-mails of the last day, and nothing else
        assert sorted(names[pk] for pk in queued if pk in names) == [
            "unsent, overdue",
            "unsent, queued again long ago",
        ]

        # when it runs again at once
        with queued_mails() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_event_mails()
        # then it queues none of them again before another margin has passed
        assert not [pk for pk in queued if pk in names]
