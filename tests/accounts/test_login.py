"""Signing in and out, passwords, lockout, and sessions that stay on their tenant."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from tests.conftest import TenantClient, client_for, make_user
from tests.factories import DEFAULT_PASSWORD, ApiKeyFactory

LOGIN = "/accounts/login/"
NEW_PASSWORD = "another-long-phrase-42"


def sign_in(client: TenantClient, email: str, password: str) -> Any:
    return client.post(LOGIN, {"username": email, "password": password})


def is_signed_in(client: TenantClient) -> bool:
    home = client.get("/")
    if home.status_code == 200:
        return True
    assert home.status_code == 302, home
    if home["Location"] == "/portal/":  # a partner user's home
        return True
    assert home["Location"].startswith(LOGIN), home["Location"]
    return False


@pytest.mark.parametrize("role", ["admin", "manager", "partner"])
def test_login_and_logout(client_a: TenantClient, tenant_a: Any, role: str) -> None:
    # given a user of alpha with that role
    user = make_user(tenant_a, role)

    # when they sign in with their e-mail and password
    response = sign_in(client_a, user.email, DEFAULT_PASSWORD)

    # then they land on the dashboard, signed in
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client_a)

    # when they sign out
    response = client_a.post("/accounts/logout/")

    # then they are back at the login page, signed out
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not is_signed_in(client_a)


def test_login_with_a_wrong_password_is_refused(client_a: TenantClient, tenant_a: Any) -> None:
    # given a user of alpha
    user = make_user(tenant_a, "admin")

    # when they type a wrong password
    response = sign_in(client_a, user.email, "not-my-password")

    # then the form says so and nobody is signed in
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert not is_signed_in(client_a)


def test_password_change(alpha_manager: TenantClient, tenant_a: Any) -> None:
    # given a signed-in user
    email = alpha_manager.user.email

    # when they change their password
    response = alpha_manager.post(
        "/accounts/password/change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    # then the change is confirmed, and only the new password signs in
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert sign_in(client_for(tenant_a), email, DEFAULT_PASSWORD).status_code == 200
    assert sign_in(client_for(tenant_a), email, NEW_PASSWORD).status_code == 302


def test_password_reset_mails_a_link_that_works(client_a: TenantClient, tenant_a: Any) -> None:
    # given a user of alpha who forgot their password
    user = make_user(tenant_a, "manager")

    # when they ask for a reset
    response = client_a.post("/accounts/password/reset/", {"email": user.email})

    # then one mail goes to them, with a link on alpha's host
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    match = re.search(
        r"http://alpha\.localhost(/accounts/password/reset/\S+/)", str(mail.outbox[0].body)
    )
    assert match, mail.outbox[0].body

    # when they follow the link and choose a new password
    form_page = client_a.get(match.group(1), follow=True)
    assert form_page.status_code == 200
    assert "new_password1" in form_page.content.decode()
    done = client_a.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then the new password signs them in and the old one does not
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/complete/"
    assert sign_in(client_for(tenant_a), user.email, DEFAULT_PASSWORD).status_code == 200
    assert sign_in(client_for(tenant_a), user.email, NEW_PASSWORD).status_code == 302


def test_password_reset_for_another_tenants_user_sends_nothing(
    client_a: TenantClient, tenant_b: Any
) -> None:
    # given a user who exists only in beta
    user = make_user(tenant_b, "manager")

    # when a reset is asked for that address on alpha's host
    response = client_a.post("/accounts/password/reset/", {"email": user.email})

    # then the page looks the same but no mail goes out
    assert response.status_code == 302
    assert mail.outbox == []


def test_repeated_failed_logins_are_locked_out(
    client_a: TenantClient, tenant_a: Any, tenant_b: Any
) -> None:
    # given a user of alpha, and a user with the same e-mail in beta
    user = make_user(tenant_a, "admin")
    make_user(tenant_b, "admin", email=user.email)

    # when someone fails to sign in as them as often as allowed
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client_a, user.email, "guessing-wrong")

    # then even the right password is refused with the lockout page
    response = sign_in(client_a, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not is_signed_in(client_a)
    # and the lockout belongs to alpha: beta's user still signs in
    assert sign_in(client_for(tenant_b), user.email, DEFAULT_PASSWORD).status_code == 302


def test_session_of_one_tenant_does_not_authenticate_on_another(
    alpha_admin: TenantClient, client_b: TenantClient
) -> None:
    # given alpha's signed-in session
    session_id = alpha_admin.cookies[settings.SESSION_COOKIE_NAME].value
    assert alpha_admin.get("/").status_code == 200

    # when the same session cookie is sent to beta's host
    client_b.cookies[settings.SESSION_COOKIE_NAME] = session_id
    response = client_b.get("/")

    # then beta treats the caller as a stranger
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_session_cookie_is_host_only(client_a: TenantClient, tenant_a: Any) -> None:
    # given a user of alpha
    user = make_user(tenant_a, "manager")

    # when they sign in
    response = sign_in(client_a, user.email, DEFAULT_PASSWORD)

    # then the session cookie names no Domain, so browsers keep it to alpha's host
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["domain"] == ""
    assert cookie["httponly"]


def test_api_key_service_users_cannot_sign_in(
    client_a: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given the service user behind an API key, somehow given a password
    with in_tenant(tenant_a):
        service_user = ApiKeyFactory.create().user
        service_user.set_password(DEFAULT_PASSWORD)
        service_user.save()

    # when it tries the login form
    response = sign_in(client_a, service_user.email, DEFAULT_PASSWORD)

    # then it is refused
    assert response.status_code == 200
    assert "API keys cannot sign in to the browser" in response.content.decode()
    assert not is_signed_in(client_a)
