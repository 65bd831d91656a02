"""The webhook pages of the settings area."""

from typing import Any

import pytest

from prm.webhooks.models import Delivery, DeliveryState, Subscription
from prm.webhooks.services import subscription_create, webhook_emit

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any, webhook_dns: Any
) -> None:
    # given a receiver's name that resolves (to loopback, which the test settings allow)
    webhook_dns.set("erp.partner-hooks.com", A=["127.0.0.1"])
    # when an admin adds a webhook through the form
    response = alpha_admin.post(
        "/settings/webhooks/new/",
        {
            "url": "https://erp.partner-hooks.com/hooks",
            "events": ["partner.created"],
            "description": "ERP",
        },
    )
    # then the page shows the secret, which is the one stored, and never again
    assert response.status_code == 200
    with in_tenant(tenant_a):
        subscription = Subscription.objects.get(url="https://erp.partner-hooks.com/hooks")
    assert subscription.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    detail = alpha_admin.get(f"/settings/webhooks/{subscription.pk}/")
    assert detail.status_code == 200
    assert subscription.secret not in detail.content.decode()


def test_bad_input_is_shown_next_to_the_field(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    response = alpha_admin.post("/settings/webhooks/new/", {"url": "not a url", "events": []})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    with in_tenant(tenant_a):
        assert not Subscription.objects.exists()


def test_an_internal_address_is_refused_next_to_the_field(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # when an admin gives the cloud metadata address
    response = alpha_admin.post(
        "/settings/webhooks/new/",
        {"url": "http://169.254.169.254/latest/meta-data/", "events": ["partner.created"]},
    )
    # then the form says why, and nothing is stored
    page = response.content.decode()
    assert response.status_code == 200
    assert "is-invalid" in page
    assert "169.254.169.254 is a link-local address" in page
    with in_tenant(tenant_a):
        assert not Subscription.objects.exists()


def test_enabling_a_webhook_whose_name_no_longer_resolves_says_why(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any, webhook_dns: Any
) -> None:
    # given a disabled webhook whose name has since gone from DNS
    webhook_dns.set("gone.partner-hooks.com", A=["127.0.0.1"])
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(
            url="https://gone.partner-hooks.com/hooks", events=["partner.updated"]
        )
        Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    webhook_dns.records.clear()
    # when the admin enables it
    response = alpha_admin.post(f"/settings/webhooks/{subscription.pk}/toggle/", follow=True)
    # then it stays off and the page says why
    assert "stays disabled" in response.content.decode()
    assert "does not exist in DNS" in response.content.decode()
    with in_tenant(tenant_a):
        subscription.refresh_from_db()
    assert not subscription.is_active


def test_redeliver_and_disable_from_the_delivery_log(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # given a failed delivery
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(
            url="http://127.0.0.1:9/x", events=["partner.updated"]
        )
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, attempts=8)
    # when the admin redelivers it, then disables the webhook
    redelivered = alpha_admin.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/")
    toggled = alpha_admin.post(f"/settings/webhooks/{subscription.pk}/toggle/")
    # then the delivery starts over and the subscription is off
    assert redelivered.status_code == 302
    assert toggled.status_code == 302
    with in_tenant(tenant_a):
        delivery.refresh_from_db()
        subscription.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    assert not subscription.is_active


def test_managers_do_not_manage_webhooks(alpha_manager: Any) -> None:
    assert alpha_manager.get("/settings/webhooks/new/").status_code == 403


def test_the_settings_page_lists_webhooks_in_its_body_not_its_title(
    alpha_admin: Any, in_tenant: Any, tenant_a: Any
) -> None:
    # given a subscription
    with in_tenant(tenant_a):
        subscription = Subscription.objects.create(
            url="http://127.0.0.1:9/listed", events=["partner.created"], secret="whsec_x"
        )
    # when an admin opens the settings page
    page = alpha_admin.get("/settings/").content.decode()
    # then the webhooks section is in the page's body, and the title is only a title
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "Webhooks" not in title
    assert "<" not in title
    body = page.split("<body", 1)[1]
    assert 'id="webhooks-heading"' in body
    assert subscription.url in body
