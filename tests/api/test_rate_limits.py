"""API rate limits: per key, per tenant, set by an admin; a documented switch lifts them."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from prm.accounts.models import ApiKey
from prm.tenancy.services import tenant_rate_limit_set
from tests.commands import run_manage
from tests.conftest import TenantClient, tenant_schema

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
KEYS = "/api/v1/api-keys/"


def key_row(client: TenantClient, tenant: Any) -> ApiKey:
    with tenant_schema(tenant):
        return ApiKey.objects.get(pk=client.api_key.pk)


def statuses(client: TenantClient, count: int) -> list[int]:
    return [client.get(ME).status_code for _ in range(count)]


@pytest.fixture
def tenant_limit(tenant_a: Any) -> Iterator[Callable[[int | None], None]]:
    """Sets alpha's default limit; put back afterwards (the tenant row is cached by host,
    outside the test's transaction)."""

    def set_limit(limit: int | None) -> None:
        tenant_rate_limit_set(tenant=tenant_a, api_rate_limit=limit)

    yield set_limit
    tenant_rate_limit_set(tenant=tenant_a, api_rate_limit=None)


def test_a_key_of_its_own_limit_replaces_the_platform_default(
    alpha_api: TenantClient, alpha_admin: TenantClient, settings: Any
) -> None:
    # given a platform default of 2 a minute
    settings.PRM_API_RATE_PER_KEY = "2/minute"
    key_id = alpha_api.api_key.pk

    # when an admin gives the key 4 a minute through the API
    answer = alpha_admin.patch(
        f"{KEYS}{key_id}/", {"rate_limit": 4}, content_type="application/json"
    )

    # then the key gets 4, and the answer shows its limit
    assert answer.status_code == 200, answer.content
    assert answer.json()["rate_limit"] == 4
    assert statuses(alpha_api, 5) == [200, 200, 200, 200, 429]


def test_a_tenant_default_applies_to_keys_without_their_own(
    alpha_api: TenantClient,
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
    tenant_b: Any,
    tenant_limit: Callable[[int | None], None],
    settings: Any,
) -> None:
    # given a platform default of 2 a minute and alpha's own default of 3
    settings.PRM_API_RATE_PER_KEY = "2/minute"
    tenant_limit(3)
    beta = api_client(tenant_b)

    # then alpha's keys get 3, beta's keys still 2
    assert statuses(alpha_api, 4) == [200, 200, 200, 429]
    assert statuses(beta, 3) == [200, 200, 429]


def test_the_429_says_when_to_come_back(alpha_api: TenantClient, settings: Any) -> None:
    settings.PRM_API_RATE_PER_KEY = "1/minute"
    alpha_api.get(ME)
    refused = alpha_api.get(ME)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_the_switch_lifts_every_limit(alpha_api: TenantClient, settings: Any) -> None:
    # given a tiny limit, lifted by the documented setting
    settings.PRM_API_RATE_PER_KEY = "1/minute"
    settings.PRM_API_RATE_LIMITS_ENABLED = False
    # then nothing is refused
    assert statuses(alpha_api, 5) == [200] * 5


def test_an_integrator_cannot_raise_its_own_limit(alpha_api: TenantClient, tenant_a: Any) -> None:
    # given a read-write key (not an admin)
    # when it tries to set its own limit
    answer = alpha_api.patch(
        f"{KEYS}{alpha_api.api_key.pk}/", {"rate_limit": 50000}, content_type="application/json"
    )
    # then it is refused and nothing changed
    assert answer.status_code == 403
    assert key_row(alpha_api, tenant_a).rate_limit is None


@pytest.mark.parametrize(
    ("value", "message"),
    [(0, "greater than or equal to 1"), (10**9, "between 1 and"), ("many", "valid integer")],
)
def test_a_limit_out_of_range_is_refused_naming_the_field(
    alpha_admin: TenantClient, alpha_api: TenantClient, value: Any, message: str
) -> None:
    answer = alpha_admin.patch(
        f"{KEYS}{alpha_api.api_key.pk}/", {"rate_limit": value}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert message in answer.json()["errors"]["rate_limit"][0]


def test_null_puts_a_key_back_on_the_default(
    alpha_admin: TenantClient, alpha_api: TenantClient, tenant_a: Any
) -> None:
    with tenant_schema(tenant_a):
        ApiKey.objects.filter(pk=alpha_api.api_key.pk).update(rate_limit=10)
    answer = alpha_admin.patch(
        f"{KEYS}{alpha_api.api_key.pk}/", {"rate_limit": None}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["rate_limit"] is None


def test_a_key_created_with_a_limit_has_it(alpha_admin: TenantClient) -> None:
    answer = alpha_admin.post(
        KEYS,
        {"name": "CRM import", "scopes": ["read", "write"], "rate_limit": 6000},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["rate_limit"] == 6000


def test_the_settings_page_shows_and_edits_a_key_limit(
    alpha_admin: TenantClient, alpha_api: TenantClient, tenant_a: Any, settings: Any
) -> None:
    # given the settings page with a key on the default
    settings.PRM_API_RATE_PER_KEY = "1200/minute"
    page = alpha_admin.get("/settings/").content.decode()
    assert "default (1200 a minute)" in page

    # when the admin sets the key's limit on its page
    edit = f"/settings/api-keys/{alpha_api.api_key.pk}/"
    assert alpha_admin.get(edit).status_code == 200
    bad = alpha_admin.post(edit, {"name": "ERP", "rate_limit": "0"})
    saved = alpha_admin.post(edit, {"name": "ERP", "rate_limit": "90"})

    # then a bad limit is shown on the form, a good one saved
    assert bad.status_code == 200
    assert "greater than or equal to 1" in bad.content.decode()
    assert saved.status_code == 302
    key = key_row(alpha_api, tenant_a)
    assert (key.name, key.rate_limit) == ("ERP", 90)
    assert "90 a minute" in alpha_admin.get("/settings/").content.decode()


def test_commands_set_tenant_and_key_limits(
    tenant_a: Any, alpha_api: TenantClient, tenant_limit: Callable[[int | None], None]
) -> None:
    # when an operator sets alpha's default and one key's limit from the command line
    for_tenant = run_manage("set_rate_limit", "--tenant", tenant_a.slug, "3000")
    for_key = run_manage(
        "set_rate_limit", "--tenant", tenant_a.slug, "--key", alpha_api.api_key.prefix, "7"
    )
    # then both are stored
    assert (for_tenant.exit_code, for_key.exit_code) == (0, 0)
    tenant_a.refresh_from_db()
    assert tenant_a.api_rate_limit == 3000
    assert key_row(alpha_api, tenant_a).rate_limit == 7
    # and an impossible one is refused, naming the field
    refused = run_manage("set_rate_limit", "--tenant", tenant_a.slug, "999999999")
    assert refused.exit_code != 0
    assert "api_rate_limit: The limit must be between 1 and" in refused.stderr
