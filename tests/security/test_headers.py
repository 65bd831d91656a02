"""Security headers: `check --deploy` is clean under the production settings; pages,
API answers and API errors carry a Content-Security-Policy, nosniff and a referrer
policy; production redirects plain http to https (but not /healthz) and sends HSTS
for every tenant subdomain."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.conftest import PROJECT_DIR, TenantClient, client_for

# The policy's directives as prm/settings/base.py states them.
STRICT_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
}


def assert_security_headers(response: Any) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = {directive.strip() for directive in policy.split(";")}
    missing = STRICT_DIRECTIVES - directives
    assert not missing, policy
    # nothing that would let an injected script or style run
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert response.get("Referrer-Policy") == "same-origin"


def test_check_deploy_passes_under_the_production_settings() -> None:
    # given the production settings with a strong secret key and the tests' stores
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "ALLOWED_HOSTS": "prm.example.com,.prm.example.com",
    }
    for switch in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "PRM_BEHIND_TLS_PROXY", "DEBUG"):
        environment.pop(switch, None)

    # when Django's deployment checks run, failing on any warning
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_page_carries_the_security_headers(client_a: TenantClient) -> None:
    # when a stranger opens alpha's login page
    response = client_a.get("/accounts/login/")

    # then it comes with the policy and the headers
    assert response.status_code == 200
    assert_security_headers(response)


def test_an_api_answer_carries_the_security_headers(alpha_api: TenantClient) -> None:
    # when an integrator calls the API
    response = alpha_api.get("/api/v1/me/")

    # then the JSON answer has them too
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("path", "status"), [("/api/v1/partners/no-such-partner/", 404), ("/api/v1/me/", 401)]
)
def test_an_api_error_carries_the_security_headers(
    alpha_api: TenantClient, client_a: TenantClient, path: str, status: int
) -> None:
    # when the API answers with an error (no such partner; no key at all)
    caller = alpha_api if status == 404 else client_a
    response = caller.get(path)

    # then the error has them as well
    assert response.status_code == status
    assert response.json()["status"] == status
    assert_security_headers(response)


def test_only_the_platform_admin_may_have_inline_styles(
    public_client: TenantClient, client_a: TenantClient
) -> None:
    # when the platform admin's login page (public site; Django's and django-tenants'
    # templates, which write inline styles) and a tenant's page are opened
    admin = public_client.get("/admin/login/")
    page = client_a.get("/accounts/login/")

    # then the admin's policy allows inline styles, never inline scripts
    assert admin.status_code == 200
    admin_policy = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in admin["Content-Security-Policy"].split(";")
    }
    assert admin_policy["style-src"] == "style-src 'self' 'unsafe-inline'"
    assert admin_policy["script-src"] == "script-src 'self'"
    assert admin_policy["default-src"] == "default-src 'self'"
    # and the tenant's page has the strict policy
    assert_security_headers(page)


SWITCHES = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "PRM_BEHIND_TLS_PROXY",
)
SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)


@pytest.fixture
def production_security(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., None]]:
    """`production_security(PRM_BEHIND_TLS_PROXY="true")`: the security settings of
    prm.settings.production, read with exactly these switches in the environment,
    applied to this test."""

    def apply(**switches: str) -> None:
        for switch in SWITCHES:
            monkeypatch.delenv(switch, raising=False)
        for switch, value in switches.items():
            monkeypatch.setenv(switch, value)
        production = importlib.reload(importlib.import_module("prm.settings.production"))
        for name in SECURITY_SETTINGS:
            setattr(settings, name, production.__dict__.get(name))

    yield apply
    # the module as the environment has it, for whoever imports it next
    monkeypatch.undo()
    importlib.reload(importlib.import_module("prm.settings.production"))


def test_production_redirects_http_to_https_but_not_the_health_check(
    production_security: Any, tenant_a: Any, db: None
) -> None:
    # given the production settings and a browser on plain http
    production_security()
    client = client_for(tenant_a)

    # when it opens the login page, and a load balancer asks for /healthz
    page = client.get("/accounts/login/")
    health = client.get("/healthz")

    # then the page moves to https on the same host, and the health check answers
    assert page.status_code == 301
    assert page["Location"] == f"https://{client.host}/accounts/login/"
    assert health.status_code in (200, 503)
    assert health.json()["tenant"] == tenant_a.slug


def test_production_does_not_believe_x_forwarded_proto_by_default(
    production_security: Any, tenant_a: Any, db: None
) -> None:
    # given the production settings with no proxy switch (gunicorn published directly)
    production_security()
    assert django_settings.SECURE_PROXY_SSL_HEADER is None
    client = client_for(tenant_a)

    # when a plain http request claims to have come through TLS
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    # then it is redirected all the same
    assert response.status_code == 301


def test_behind_a_tls_proxy_its_x_forwarded_proto_is_believed(
    production_security: Any, tenant_a: Any, db: None
) -> None:
    # given the production settings with the switch for a TLS-terminating proxy
    production_security(PRM_BEHIND_TLS_PROXY="true")
    client = client_for(tenant_a)

    # when the proxy forwards an https request, and a plain one
    forwarded = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    plain = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="http")

    # then the first is served as secure, the second redirected
    assert forwarded.status_code == 200
    assert "Strict-Transport-Security" in forwarded
    assert plain.status_code == 301


def test_production_sends_hsts_for_every_tenant_subdomain(
    production_security: Any, tenant_a: Any, db: None
) -> None:
    # given the production settings
    production_security()
    client = client_for(tenant_a)

    # when a page is opened over https
    response = client.get("/accounts/login/", secure=True)

    # then browsers are told to use https for a year, on every subdomain, without preload
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert_security_headers(response)
