"""CSRF tokens are bound to the tenant host: the secret lives in the session
(CSRF_USE_SESSIONS), and a session belongs to one tenant's schema, so a token and
cookies taken from one tenant are refused on another (review finding: demo's token
was accepted on acme)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.conf import settings

from tests.conftest import TenantClient, client_for, log_in, make_user
from tests.factories import DEFAULT_PASSWORD

LOGIN = "/accounts/login/"
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_HEADERS = re.compile(r"hx-headers='([^']+)'")


def strict_client(tenant: Any) -> TenantClient:
    """A client that gets CSRF checks as a browser does (the test client skips them)."""
    return client_for(tenant, enforce_csrf_checks=True)


def form_token(client: TenantClient, path: str = LOGIN) -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = FORM_TOKEN.search(page.content.decode())
    assert match, "no CSRF token in the form"
    return match.group(1)


def test_the_login_page_sets_no_csrf_cookie(tenant_a: Any, db: None) -> None:
    # given a stranger's browser on alpha
    client = strict_client(tenant_a)

    # when it opens the login page
    response = client.get(LOGIN)

    # then the token's secret went into a session, not into a cookie of its own
    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME not in response.cookies
    assert response.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_login_form_token_from_alpha_is_refused_on_beta(
    tenant_a: Any, tenant_b: Any, db: None
) -> None:
    # given a user of beta, and a token and every cookie a browser got on alpha's
    # login page
    user = make_user(tenant_b, "manager")
    alpha = strict_client(tenant_a)
    token = form_token(alpha)
    beta = strict_client(tenant_b)
    for name, cookie in alpha.cookies.items():
        beta.cookies[name] = cookie.value
    # (and a double-submit cookie, as Django's cookie-based CSRF accepted it)
    beta.cookies[settings.CSRF_COOKIE_NAME] = token

    # when they are posted with beta's user's credentials to beta's login
    response = beta.post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token}
    )

    # then beta refuses the request, and nobody is signed in there
    assert response.status_code == 403
    home = beta.get("/")
    assert home.status_code == 302
    assert home["Location"].startswith(LOGIN)


def test_the_same_token_signs_in_on_its_own_tenant(tenant_a: Any, db: None) -> None:
    # given a user of alpha and a token from alpha's login page
    user = make_user(tenant_a, "manager")
    alpha = strict_client(tenant_a)
    token = form_token(alpha)

    # when the login form is posted on alpha with it
    response = alpha.post(
        LOGIN, {"username": user.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token}
    )

    # then it is accepted
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_signed_in_users_htmx_token_from_alpha_is_refused_on_beta(
    tenant_a: Any, tenant_b: Any, db: None
) -> None:
    # given a manager signed in on alpha, with the X-CSRFToken header alpha's pages give
    # htmx (hx-headers on <body>), and a manager signed in on beta
    alpha = log_in(strict_client(tenant_a), tenant_a, make_user(tenant_a, "manager"))
    page = alpha.get("/partners/").content.decode()
    match = HX_HEADERS.search(page)
    assert match, "no hx-headers on the page"
    alpha_header = json.loads(html.unescape(match.group(1)))["X-CSRFToken"]
    beta = log_in(strict_client(tenant_b), tenant_b, make_user(tenant_b, "manager"))

    # when beta's manager's browser is made to post with alpha's token
    refused = beta.post("/accounts/logout/", HTTP_X_CSRFTOKEN=alpha_header)
    # and alpha's manager posts with it at home
    accepted = alpha.post("/accounts/logout/", HTTP_X_CSRFTOKEN=alpha_header)

    # then beta refuses it and alpha takes it
    assert refused.status_code == 403
    assert beta.get("/").status_code == 200  # still signed in on beta
    assert accepted.status_code == 302
    assert accepted["Location"] == LOGIN
