"""The webhooks API's documented examples get the documented answers, from a key with
the `webhooks` scope (a read-write key gets 403 here, see test_access.py)."""

from __future__ import annotations

from typing import Any

import pytest

from prm.webhooks.delivery import delivery_attempt
from prm.webhooks.models import Delivery
from prm.webhooks.services import subscription_create, webhook_emit
from tests.api.test_schema_examples import (
    assert_same_shape,
    request_examples,
    response_examples,
    send,
    success,
)

pytestmark = pytest.mark.django_db

# A public address for the documented receiver's name; nothing here connects to it
# (the test's transaction is rolled back, so no delivery is ever queued).
PUBLIC_ADDRESS = "93.184.215.14"


def test_the_subscribe_example_gets_the_documented_answer(
    api_client: Any, tenant_a: Any, webhook_dns: Any
) -> None:
    # given the documented receiver's name resolving to a public address
    webhook_dns.set("erp.example.com", A=[PUBLIC_ADDRESS])
    status, _ = success("webhooks_create")
    (body,) = request_examples("webhooks_create").values()

    response = send(
        api_client(tenant_a, ["webhooks"]), "post", "/api/v1/webhooks/", body, "application/json"
    )

    assert response.status_code == status, response.json()
    (documented,) = response_examples("webhooks_create").values()
    assert_same_shape(response.json(), documented)


def test_the_delivery_log_example_has_the_real_shape(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # given a delivery with one failed try to a closed loopback port
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(
            url="http://127.0.0.1:9/hooks", events=["partner.status_changed"]
        )
        webhook_emit(event="partner.status_changed", data={"ref": "northwind"})
        delivery = Delivery.objects.get(subscription=subscription)
        delivery_attempt(delivery=delivery)
    # when the admin reads it, then it is shaped as documented (no answer body in it)
    response = alpha_admin.get(f"/api/v1/webhook-deliveries/{delivery.pk}/")
    (documented,) = response_examples("webhook_deliveries_retrieve").values()
    assert_same_shape(response.json(), {**documented, "payload": response.json()["payload"]})
    assert set(response.json()["attempt_log"][0]) == set(documented["attempt_log"][0])
