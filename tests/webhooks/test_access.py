"""Webhooks are the tenant administrator's: the `webhooks` key scope, from the command
line, the settings page and the API; keys with read and write only, and managers, get
403 on every webhook operation."""

from __future__ import annotations

from typing import Any

import pytest

from prm.accounts.models import ApiKey
from prm.webhooks.models import Delivery, Subscription
from prm.webhooks.services import subscription_create, webhook_emit
from tests.commands import run_manage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW = {"url": "http://127.0.0.1:9/hooks", "events": ["partner.created"]}


@pytest.fixture
def one_delivery(in_tenant: Any, tenant_a: Any) -> Delivery:
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(
            url="http://127.0.0.1:9/hooks", events=["partner.updated"]
        )
        webhook_emit(event="partner.updated", data={"ref": "x"})
        return Delivery.objects.get(subscription=subscription)


def _every_operation(client: Any, delivery: Delivery) -> dict[str, int]:
    subscription = delivery.subscription_id
    json = "application/json"
    return {
        "list": client.get("/api/v1/webhooks/").status_code,
        "create": client.post("/api/v1/webhooks/", NEW, content_type=json).status_code,
        "read": client.get(f"/api/v1/webhooks/{subscription}/").status_code,
        "update": client.patch(
            f"/api/v1/webhooks/{subscription}/", {"description": "x"}, content_type=json
        ).status_code,
        "log": client.get(f"/api/v1/webhooks/{subscription}/deliveries/").status_code,
        "deliveries": client.get("/api/v1/webhook-deliveries/").status_code,
        "redeliver": client.post(
            f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/"
        ).status_code,
        "delete": client.delete(f"/api/v1/webhooks/{subscription}/").status_code,
    }


@pytest.mark.parametrize("scopes", [["read"], ["write"], ["read", "write"]])
def test_keys_without_the_webhooks_scope_get_403_everywhere(
    api_client: Any, tenant_a: Any, one_delivery: Delivery, scopes: list[str], in_tenant: Any
) -> None:
    answers = _every_operation(api_client(tenant_a, scopes), one_delivery)
    assert set(answers.values()) == {403}, answers
    with in_tenant(tenant_a):
        assert Subscription.objects.count() == 1


def test_signed_in_managers_get_403_everywhere(alpha_manager: Any, one_delivery: Delivery) -> None:
    answers = _every_operation(alpha_manager, one_delivery)
    assert set(answers.values()) == {403}, answers


@pytest.mark.parametrize("who", ["webhooks key", "admin"])
def test_a_webhooks_key_and_an_admin_may_do_everything(
    who: str, api_client: Any, alpha_admin: Any, tenant_a: Any, one_delivery: Delivery
) -> None:
    client = api_client(tenant_a, ["webhooks"]) if who == "webhooks key" else alpha_admin
    answers = _every_operation(client, one_delivery)
    assert answers == {
        "list": 200,
        "create": 201,
        "read": 200,
        "update": 200,
        "log": 200,
        "deliveries": 200,
        "redeliver": 202,
        "delete": 204,
    }


def test_create_api_key_takes_the_webhooks_scope(in_tenant: Any, tenant_a: Any) -> None:
    # when an operator creates a key with the webhooks scope from the command line
    result = run_manage(
        "create_api_key", "--tenant", "alpha", "--name", "Hooks", "--scopes", "read,webhooks"
    )
    # then it has it, and it manages webhooks
    assert result.exit_code == 0, result.stderr
    key = result.stdout.strip()
    with in_tenant(tenant_a):
        assert ApiKey.objects.get(name="Hooks").scopes == ["read", "webhooks"]
    client = client_for(tenant_a, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/webhooks/").status_code == 200
    # and an unknown scope is refused with the list of the known ones
    wrong = run_manage(
        "create_api_key", "--tenant", "alpha", "--name", "Bad", "--scopes", "read,hooks"
    )
    assert wrong.exit_code != 0
    assert "webhooks" in wrong.stderr


def test_the_api_keys_page_offers_the_webhooks_scope(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    form = alpha_admin.get("/settings/api-keys/new/").content.decode()
    assert 'value="webhooks"' in form
    created = alpha_admin.post(
        "/settings/api-keys/new/", {"name": "Receiver admin", "scopes": ["webhooks"]}
    )
    assert created.status_code == 200
    with in_tenant(tenant_a):
        assert ApiKey.objects.get(name="Receiver admin").scopes == ["webhooks"]


def test_the_api_key_endpoint_takes_the_webhooks_scope(alpha_admin: Any) -> None:
    created = alpha_admin.post(
        "/api/v1/api-keys/",
        {"name": "Receiver admin", "scopes": ["read", "webhooks"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["scopes"] == ["read", "webhooks"]
