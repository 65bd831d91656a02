"""/api/v1/users/: the people of a tenant through the API, for administrators signed
in and write keys only, through the same services as Settings → People."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from partners.models import PartnerUser
from prm.accounts.models import Role, User
from tests.conftest import TenantClient, make_user, tenant_schema
from tests.people.helpers import mailed_links

USERS = "/api/v1/users/"


def patch(client: TenantClient, path: str, body: dict[str, Any]) -> Any:
    return client.patch(path, body, content_type="application/json")


def test_a_write_key_invites_a_partner_user_of_a_partner(
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
    partner_in: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a partner and a write key
    partner = partner_in(tenant_a, ref="api-partner")
    key = api_client(tenant_a, scopes=["read", "write"])

    # when the key invites a partner user for it
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        response = key.post(
            USERS,
            {"email": "api@partner.example", "role": "partner", "partner": "api-partner"},
            content_type="application/json",
        )

    # then the person is invited and linked, and the invitation is mailed
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["partner"] == "api-partner"
    assert body["invitation_pending"] is True
    assert body["is_active"] is True
    with tenant_schema(tenant_a):
        assert PartnerUser.objects.get(user_id=body["id"]).partner == partner
    assert len(mailed_links("api@partner.example")) == 1


def test_every_problem_of_an_invitation_comes_at_once(
    api_client: Callable[..., TenantClient], tenant_a: Any
) -> None:
    # given an existing person
    existing = make_user(tenant_a, "manager")
    key = api_client(tenant_a, scopes=["write"])

    # when the key invites them again as a partner user of a partner that does not exist
    response = key.post(
        USERS,
        {"email": existing.email, "role": "partner", "partner": "no-such-partner"},
        content_type="application/json",
    )

    # then the answer names the partner; and with a real partner missing, the e-mail too
    assert response.status_code == 400
    assert (
        'There is no partner with ref "no-such-partner"' in response.json()["errors"]["partner"][0]
    )
    missing = key.post(
        USERS, {"email": existing.email, "role": "partner"}, content_type="application/json"
    )
    assert set(missing.json()["errors"]) == {"email", "partner"}
    assert mail.outbox == []


def test_an_admin_session_lists_people_without_service_accounts(
    alpha_admin: TenantClient, api_client: Callable[..., TenantClient], tenant_a: Any
) -> None:
    # given a key (whose service user is no person) and a manager
    api_client(tenant_a)
    manager = make_user(tenant_a, "manager")

    # when the admin lists the people
    response = alpha_admin.get(USERS, {"role": "manager"})

    # then the manager is there and no API key's account
    assert response.status_code == 200
    emails = [row["email"] for row in response.json()["results"]]
    assert manager.email in emails
    assert not [email for email in emails if email.endswith("@api-keys.invalid")]
    assert alpha_admin.get(f"{USERS}{manager.pk}/").json()["role"] == "manager"


@pytest.mark.parametrize("who", ["manager", "partner", "read key"])
def test_others_may_not_use_the_users_api(
    who: str,
    logged_in_client: Callable[..., TenantClient],
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
) -> None:
    # given a manager, a partner user or a read-only key
    client = (
        api_client(tenant_a, scopes=["read"])
        if who == "read key"
        else logged_in_client(tenant_a, who)
    )

    # when they list or invite people, they are refused
    assert client.get(USERS).status_code == 403
    invite = client.post(
        USERS, {"email": "x@alpha.example", "role": "admin"}, content_type="application/json"
    )
    assert invite.status_code == 403
    with tenant_schema(tenant_a):
        assert not User.objects.filter(email="x@alpha.example").exists()


def test_the_api_changes_name_role_partner_and_deactivates(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a manager and a partner
    manager = make_user(tenant_a, "manager")
    partner = partner_in(tenant_a, ref="moved-to")
    path = f"{USERS}{manager.pk}/"

    # when the admin makes them a partner user of that partner, renamed
    changed = patch(
        alpha_admin, path, {"full_name": "Pat Doe", "role": "partner", "partner": "moved-to"}
    )

    # then they are
    assert changed.status_code == 200, changed.json()
    assert changed.json()["partner"] == "moved-to"
    assert changed.json()["full_name"] == "Pat Doe"
    with tenant_schema(tenant_a):
        assert PartnerUser.objects.get(user=manager).partner == partner

    # when they are deactivated, then reactivated
    off = patch(alpha_admin, path, {"is_active": False})
    on = patch(alpha_admin, path, {"is_active": True})

    # then the answers say so
    assert off.json()["is_active"] is False
    assert on.json()["is_active"] is True

    # and a staff role with a partner is refused
    refused = patch(alpha_admin, path, {"role": "manager", "partner": "moved-to"})
    assert refused.status_code == 400
    assert "Only partner users are linked" in refused.json()["errors"]["partner"][0]
    with tenant_schema(tenant_a):
        manager.refresh_from_db()
    assert manager.role == Role.PARTNER


def test_the_api_resends_an_invitation_and_sends_a_reset(
    alpha_admin: TenantClient, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given an invited manager
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        invited = alpha_admin.post(
            USERS,
            {"email": "inv@alpha.example", "role": "manager"},
            content_type="application/json",
        ).json()

    # when the admin resends the invitation and sends a reset
    with tenant_schema(tenant_a), django_capture_on_commit_callbacks(execute=True):
        resent = alpha_admin.post(f"{USERS}{invited['id']}/invitation/")
    reset = alpha_admin.post(f"{USERS}{invited['id']}/password-reset/")

    # then two invitations and one reset went out
    assert resent.status_code == 200
    assert reset.status_code == 204
    assert len(mailed_links("inv@alpha.example")) == 2
    assert len(mail.outbox) == 3


def test_the_users_api_is_in_the_openapi_document(
    public_client: TenantClient, alpha_admin: TenantClient
) -> None:
    schema = alpha_admin.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/users/" in schema["paths"]
    assert "patch" in schema["paths"]["/api/v1/users/{id}/"]
    assert "/api/v1/users/{id}/invitation/" in schema["paths"]
