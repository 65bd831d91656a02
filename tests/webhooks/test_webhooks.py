"""Webhooks: signed deliveries to a real HTTP receiver on loopback, retries with
back-off by a real worker, the delivery log, disabling, and the API."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.utils import timezone

from partners.models import Partner
from prm.accounts.models import User
from prm.webhooks import signing
from prm.webhooks.delivery import delivery_attempt
from prm.webhooks.models import Attempt, Delivery, DeliveryState, Subscription
from prm.webhooks.services import subscription_create, webhook_emit
from tests.factories import PartnerFactory
from tests.webhooks.receivers import Listener, wait_for


@pytest.mark.worker
def test_a_receiver_that_fails_twice_gets_exactly_one_successful_signed_delivery(
    committed: Any, in_tenant: Any, tenant_a: Any, receiver_factory: Any
) -> None:
    # given a receiver that answers 500, then 503, then 200, subscribed to new partners
    receiver = receiver_factory([500, 503])
    ref = f"hooked-{uuid.uuid4().hex[:8]}"
    with in_tenant(tenant_a):
        subscription, secret = subscription_create(url=receiver.url, events=["partner.created"])
    committed(lambda: _cleanup(tenant_a, in_tenant, ref, subscription.pk))
    # when a partner is created (committed, so the worker sees it and delivers)
    with in_tenant(tenant_a):
        PartnerFactory(ref=ref)

    def delivered() -> bool:
        with in_tenant(tenant_a):
            return Delivery.objects.filter(
                subscription_id=subscription.pk, state=DeliveryState.SUCCEEDED
            ).exists()

    wait_for(delivered)
    time.sleep(1.0)  # room for any delivery that should not happen
    # then the receiver saw three tries of the same event and exactly one success
    assert [hit["status"] for hit in receiver.received] == [500, 503, 200]
    event_ids = {hit["headers"]["X-PRM-Delivery"] for hit in receiver.received}
    assert len(event_ids) == 1
    # and the successful one verifies with the documented recipe
    last = receiver.received[-1]
    assert signing.verify(secret, last["body"], last["headers"]["X-PRM-Signature"])
    payload = json.loads(last["body"])
    assert payload["event"] == "partner.created"
    assert payload["data"]["ref"] == ref
    assert payload["tenant"] == tenant_a.slug
    # and the delivery log holds every answer
    with in_tenant(tenant_a):
        delivery = Delivery.objects.get(subscription_id=subscription.pk)
        assert delivery.attempts == 3
        assert sorted(a.status_code or 0 for a in delivery.attempt_log.all()) == [200, 500, 503]


def _cleanup(tenant: Any, in_tenant: Any, ref: str, subscription_id: int) -> None:
    with in_tenant(tenant):
        Subscription.objects.filter(pk=subscription_id).delete()
        partner = Partner.objects.filter(ref=ref).first()
        if partner is not None:
            manager = partner.channel_manager
            partner.delete()
            User.objects.filter(pk=manager.pk).delete()


@pytest.mark.django_db
def test_repeated_failures_disable_the_subscription(
    in_tenant: Any, tenant_a: Any, receiver_factory: Any, settings: Any
) -> None:
    # given a receiver that always fails, one try per delivery, disabling after two
    settings.PRM_WEBHOOK_MAX_ATTEMPTS = 1
    settings.PRM_WEBHOOK_DISABLE_AFTER = 2
    receiver = receiver_factory([500] * 10)
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.updated"])
        # when two events fail to deliver
        for _ in range(2):
            webhook_emit(event="partner.updated", data={"ref": "x"})
        for delivery in Delivery.objects.filter(subscription=subscription):
            assert delivery_attempt(delivery=delivery) is None
        # then the subscription is off and says why; later events are not recorded for it
        subscription.refresh_from_db()
        assert not subscription.is_active
        assert "2 deliveries in a row failed" in subscription.disabled_reason
        assert webhook_emit(event="partner.updated", data={"ref": "x"}) == 0


@pytest.mark.django_db
def test_a_failed_try_schedules_a_growing_wait(
    in_tenant: Any, tenant_a: Any, receiver_factory: Any, settings: Any
) -> None:
    settings.PRM_WEBHOOK_RETRY_BASE_SECONDS = 10
    receiver = receiver_factory([500, 500, 500])
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.updated"])
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        waits = []
        for _ in range(3):
            waits.append(delivery_attempt(delivery=delivery))
            # (each next try is made once it is due: a try before is skipped)
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert waits == [10, 20, 40]


def test_the_signature_refuses_a_changed_body_or_an_old_timestamp() -> None:
    header = signing.sign("whsec_test", b'{"a":1}', timestamp=1_800_000_000)
    assert signing.verify("whsec_test", b'{"a":1}', header, now=1_800_000_010)
    assert not signing.verify("whsec_test", b'{"a":2}', header, now=1_800_000_010)
    assert not signing.verify("whsec_other", b'{"a":1}', header, now=1_800_000_010)
    assert not signing.verify("whsec_test", b'{"a":1}', header, now=1_800_001_000)
    assert not signing.verify("whsec_test", b'{"a":1}', "garbage", now=1_800_000_010)


@pytest.mark.django_db
def test_the_api_shows_the_secret_once_and_checks_who_asks(
    alpha_admin: Any, alpha_manager: Any, api_client: Any, tenant_a: Any, webhook_dns: Any
) -> None:
    # given a receiver's name that resolves (to loopback, which the test settings allow)
    webhook_dns.set("erp.partner-hooks.com", A=["127.0.0.1"])
    # when an admin subscribes
    created = alpha_admin.post(
        "/api/v1/webhooks/",
        {"url": "https://erp.partner-hooks.com/hooks", "events": ["partner.created"]},
        content_type="application/json",
    )
    # then the secret comes once, and never in the list
    assert created.status_code == 201, created.json()
    assert created.json()["secret"].startswith("whsec_")
    listed = alpha_admin.get("/api/v1/webhooks/").json()["results"]
    assert "secret" not in listed[0]
    # and bad input names its fields
    bad = alpha_admin.post(
        "/api/v1/webhooks/", {"url": "ftp://x", "events": ["nope"]}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert {"url", "events"} <= set(bad.json()["errors"])
    # and managers, read and write keys may not manage webhooks; a webhooks key may
    assert alpha_manager.get("/api/v1/webhooks/").status_code == 403
    assert api_client(tenant_a, ["read"]).get("/api/v1/webhooks/").status_code == 403
    write_key = api_client(tenant_a, ["read", "write"])
    refused = write_key.get("/api/v1/webhooks/")
    assert refused.status_code == 403
    assert '"webhooks" scope' in refused.json()["message"]
    assert api_client(tenant_a, ["webhooks"]).get("/api/v1/webhooks/").status_code == 200


@pytest.mark.worker
def test_the_worker_follows_no_redirect_and_keeps_no_answer_body(
    committed: Any, in_tenant: Any, tenant_a: Any, receiver_factory: Any
) -> None:
    # given a receiver on loopback that redirects to the "metadata service" on another
    # loopback port, both allowed by the test settings, with a secret in its answer
    metadata = Listener("127.0.0.1")
    target = f"http://127.0.0.1:{metadata.port}/latest/meta-data/iam"
    receiver = receiver_factory([302, 302], location=target, body=b"INTERNAL-ONLY: key=AKIA")
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.updated"])
    committed(lambda: _forget(tenant_a, in_tenant, subscription.pk))
    committed(metadata.close)
    # when an event is delivered by the worker (two redirects, then 200)
    with in_tenant(tenant_a):
        webhook_emit(event="partner.updated", data={"ref": "redirecting"})

    def delivered() -> bool:
        with in_tenant(tenant_a):
            return Delivery.objects.filter(
                subscription_id=subscription.pk, state=DeliveryState.SUCCEEDED
            ).exists()

    wait_for(delivered)
    # then each redirect was a failed try with its status; the target saw nothing
    assert [hit["status"] for hit in receiver.received] == [302, 302, 200]
    assert metadata.connections == 0
    with in_tenant(tenant_a):
        attempts = Attempt.objects.filter(delivery__subscription_id=subscription.pk)
        logged = sorted((a.status_code or 0, a.error) for a in attempts)
        stored = repr(list(attempts.values()))
    assert logged == [(200, ""), (302, "redirect not followed"), (302, "redirect not followed")]
    assert "INTERNAL-ONLY" not in stored


def _forget(tenant: Any, in_tenant: Any, subscription_id: int) -> None:
    with in_tenant(tenant):
        Subscription.objects.filter(pk=subscription_id).delete()
