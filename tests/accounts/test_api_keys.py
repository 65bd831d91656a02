"""API keys: shown once, stored hashed, valid on their own tenant only, scoped."""

import hashlib
from collections.abc import Callable
from typing import Any

from prm.accounts.models import ApiKey
from prm.accounts.services import api_key_revoke
from tests.commands import run_manage
from tests.conftest import TenantClient, client_for

ME = "/api/v1/me/"


def test_create_api_key_command_prints_the_key_once(
    db: None, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # when an operator creates a key from the command line
    result = run_manage(
        "create_api_key", "--tenant", "alpha", "--name", "ERP sync", "--scopes", "read,write"
    )

    # then the key alone is printed, once
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key.startswith("prm_")
    # and it is stored, hashed, in alpha
    with in_tenant(tenant_a):
        api_key = ApiKey.objects.get(name="ERP sync")
    assert api_key.scopes == ["read", "write"]
    assert api_key.key_hash != key
    # and it works on alpha's host
    response = client_for(tenant_a, HTTP_AUTHORIZATION=f"Bearer {key}").get(ME)
    assert response.status_code == 200
    assert response.json()["api_key"] == "ERP sync"


def test_create_api_key_command_refuses_an_unknown_tenant(db: None) -> None:
    # when the tenant does not exist
    result = run_manage("create_api_key", "--tenant", "nowhere", "--name", "ERP")

    # then the command fails, saying so
    assert result.exit_code != 0
    assert 'There is no tenant "nowhere"' in result.stderr


def test_key_authenticates_on_its_tenant_only(
    alpha_api: TenantClient, client_b: TenantClient
) -> None:
    # when alpha's key calls alpha's API
    response = alpha_api.get(ME)

    # then it is recognised
    assert response.status_code == 200
    assert response.json()["role"] == "integrator"

    # when the same key is sent to beta's host
    response = client_b.get(ME, HTTP_AUTHORIZATION=f"Bearer {alpha_api.key}")

    # then beta does not know it
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_refused(
    alpha_api: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a key that worked
    assert alpha_api.get(ME).status_code == 200

    # when it is revoked
    with in_tenant(tenant_a):
        api_key_revoke(api_key=ApiKey.objects.get(pk=alpha_api.api_key.pk))

    # then it stops working at once
    assert alpha_api.get(ME).status_code == 401


def test_read_only_key_cannot_write(api_client: Callable[..., TenantClient], tenant_a: Any) -> None:
    # given a read-only key and a read+write key
    reader = api_client(tenant_a, scopes=["read"])
    writer = api_client(tenant_a, scopes=["read", "write"])

    # when each sends a write
    refused = reader.post(ME, {}, content_type="application/json")
    allowed_through = writer.post(ME, {}, content_type="application/json")

    # then the read-only key is refused for its scope; the other gets past the check
    # (to the endpoint's own "method not allowed")
    assert refused.status_code == 403
    assert 'lacks the "write" scope' in refused.json()["message"]
    assert allowed_through.status_code == 405
    assert reader.get(ME).status_code == 200


def test_stored_hash_is_not_the_key(
    alpha_api: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a key
    key = alpha_api.key
    # (the secret is URL-safe base64, so it may hold "_" itself: split after the prefix)
    secret = key.split("_", 2)[2]
    assert len(secret) >= 40

    # when its row is read back
    with in_tenant(tenant_a):
        row = ApiKey.objects.filter(pk=alpha_api.api_key.pk).values().get()

    # then no column holds the key or its secret part
    for column, value in row.items():
        assert secret not in str(value), column
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()


def test_last_used_at_is_recorded(
    alpha_api: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a key never used
    with in_tenant(tenant_a):
        assert ApiKey.objects.get(pk=alpha_api.api_key.pk).last_used_at is None

    # when it is used
    assert alpha_api.get(ME).status_code == 200

    # then the time of use is recorded
    with in_tenant(tenant_a):
        assert ApiKey.objects.get(pk=alpha_api.api_key.pk).last_used_at is not None
