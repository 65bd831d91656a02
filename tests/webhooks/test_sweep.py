"""Webhook deliveries whose try could not be queued (the broker was down when the write
committed) or was lost: the write still succeeds, beat's sweep queues them again once
overdue, and a second message for a delivery never tries it before it is due."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from partners.models import Partner
from prm.accounts.models import ApiKey, Role, User
from prm.webhooks.models import Attempt, Delivery, DeliveryState, Subscription
from prm.webhooks.services import subscription_create, webhook_emit
from prm.webhooks.tasks import deliver, sweep_deliveries
from tests.broker_outage import broker_unreachable
from tests.conftest import client_for
from tests.factories import ApiKeyFactory, UserFactory

OVERDUE_SECONDS = 300


@pytest.fixture(autouse=True)
def _margin(settings: Any) -> None:
    settings.PRM_WEBHOOK_OVERDUE_SECONDS = OVERDUE_SECONDS


@contextmanager
def queued_deliveries() -> Iterator[list[int]]:
    """The delivery ids `deliver` is queued with meanwhile (nothing is published)."""
    queued: list[int] = []
    with mock.patch.object(deliver, "delay", side_effect=lambda pk: queued.append(pk)):
        yield queued


def test_a_partner_created_while_the_broker_is_down_is_delivered_by_the_sweep(
    committed: Any, in_tenant: Any, tenant_a: Any, receiver_factory: Any, caplog: Any
) -> None:
    # given a receiver subscribed to new partners, a manager and an API key, committed:
    # the request commits, as in production, and queues its delivery when it does
    receiver = receiver_factory([])
    marker = uuid.uuid4().hex[:8]
    ref = f"swept-{marker}"
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.created"])
        manager = UserFactory.create(role=Role.MANAGER, email=f"swept-{marker}@example.com")
        api_key = ApiKeyFactory.create(scopes=["read", "write"])

    def clean_up() -> None:
        with in_tenant(tenant_a):
            Subscription.objects.filter(pk=subscription.pk).delete()
            Partner.objects.filter(ref=ref).delete()
            Partner.history.filter(ref=ref).delete()
            ApiKey.objects.filter(pk=api_key.pk).delete()
            User.objects.filter(pk__in=[manager.pk, api_key.user_id]).delete()

    committed(clean_up)
    api = client_for(tenant_a, HTTP_AUTHORIZATION=f"Bearer {api_key.key}")

    # when a partner is created through the API while the broker refuses connections
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="prm.celery"):
        response = api.post(
            "/api/v1/partners/",
            {"ref": ref, "name": f"Swept {marker} Ltd", "channel_manager": manager.email},
            content_type="application/json",
        )

    # then the API answers its usual 201: the partner was saved
    assert response.status_code == 201, response.content
    assert response.json()["ref"] == ref
    # and its delivery waits, untried, and the log says who will queue it
    with in_tenant(tenant_a):
        delivery = Delivery.objects.get(subscription=subscription)
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryState.PENDING,
        0,
        None,
    )
    assert receiver.received == []
    assert "webhooks-delivery-sweep" in caplog.text

    # when beat's sweep runs in alpha before the delivery is overdue
    with in_tenant(tenant_a), queued_deliveries() as queued:
        sweep_deliveries()
    # then it leaves it alone
    assert delivery.pk not in queued

    # when the sweep runs once it has waited longer than PRM_WEBHOOK_OVERDUE_SECONDS
    with in_tenant(tenant_a):
        Delivery.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - timedelta(seconds=OVERDUE_SECONDS + 5)
        )
        with queued_deliveries() as queued:
            sweep_deliveries()
    # then it queues the delivery, once
    assert queued.count(delivery.pk) == 1

    # when the queued task runs
    with in_tenant(tenant_a):
        assert deliver(delivery.pk) == "done"
        delivery.refresh_from_db()
    # then the receiver got the event, and the delivery is done
    assert len(receiver.received) == 1
    assert receiver.received[0]["headers"]["X-PRM-Delivery"] == str(delivery.event_id)
    assert delivery.state == DeliveryState.SUCCEEDED
    # and a later sweep has nothing more to queue for it
    with in_tenant(tenant_a), queued_deliveries() as queued:
        sweep_deliveries()
    assert delivery.pk not in queued


@pytest.mark.django_db
def test_the_sweep_queues_only_deliveries_overdue_by_more_than_the_margin_and_once(
    in_tenant: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    long_ago = now - timedelta(seconds=OVERDUE_SECONDS * 2)
    with in_tenant(tenant_a):
        # given deliveries in every state, some waiting longer than the margin
        subscription, _secret = subscription_create(
            url="http://127.0.0.1:9/hooks", events=["partner.updated"]
        )

        def delivery(state: str, *, created_at: Any = None, next_attempt_at: Any = None) -> int:
            webhook_emit(event="partner.updated", data={"ref": "x"})
            made = Delivery.objects.filter(subscription=subscription).order_by("-id")[0]
            Delivery.objects.filter(pk=made.pk).update(
                state=state, created_at=created_at or now, next_attempt_at=next_attempt_at
            )
            return int(made.pk)

        deliveries = {
            "pending, just recorded": delivery(DeliveryState.PENDING),
            "pending, never tried": delivery(DeliveryState.PENDING, created_at=long_ago),
            "retrying, due a minute ago": delivery(
                DeliveryState.RETRYING,
                created_at=long_ago,
                next_attempt_at=now - timedelta(seconds=60),
            ),
            "retrying, long overdue": delivery(
                DeliveryState.RETRYING, created_at=long_ago, next_attempt_at=long_ago
            ),
            "retrying, due later": delivery(
                DeliveryState.RETRYING,
                created_at=long_ago,
                next_attempt_at=now + timedelta(seconds=60),
            ),
            "succeeded": delivery(DeliveryState.SUCCEEDED, created_at=long_ago),
            "failed": delivery(DeliveryState.FAILED, created_at=long_ago),
        }
        mine = set(deliveries.values())

        # when beat's sweep runs
        with queued_deliveries() as queued, django_capture_on_commit_callbacks(execute=True):
            first = sweep_deliveries()
        # then it queued the two overdue by more than the margin, and nothing else
        names = {pk: name for name, pk in deliveries.items()}
        assert sorted(names[pk] for pk in queued if pk in mine) == [
            "pending, never tried",
            "retrying, long overdue",
        ]
        assert first >= 2
        # and marked them due now, not overdue again before another margin has passed
        for name in ("pending, never tried", "retrying, long overdue"):
            marked = Delivery.objects.get(pk=deliveries[name]).next_attempt_at
            assert marked is not None
            assert abs((marked - timezone.now()).total_seconds()) < 60

        # when it runs again at once
        with queued_deliveries() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_deliveries()
        # then it queues none of them again
        assert not mine & set(queued)


@pytest.mark.django_db
def test_a_second_message_for_a_delivery_not_due_yet_does_not_try_it_early(
    in_tenant: Any, tenant_a: Any, receiver_factory: Any
) -> None:
    receiver = receiver_factory([])
    with in_tenant(tenant_a):
        # given a delivery whose first try failed, due again in ten minutes
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.updated"])
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        due_at = timezone.now() + timedelta(minutes=10)
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.RETRYING, attempts=1, next_attempt_at=due_at
        )

        # when another message for it runs now (the sweep's, or one redelivered)
        outcome = deliver(delivery.pk)

        # then it is not tried: nothing sent, no attempt logged, still due then
        assert outcome == "done"
        assert receiver.received == []
        assert not Attempt.objects.filter(delivery=delivery).exists()
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (
            DeliveryState.RETRYING,
            1,
            due_at,
        )

        # when the message for its due time runs
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliver(delivery.pk)

        # then it is tried, and delivered
        delivery.refresh_from_db()
    assert len(receiver.received) == 1
    assert (delivery.state, delivery.attempts) == (DeliveryState.SUCCEEDED, 2)
