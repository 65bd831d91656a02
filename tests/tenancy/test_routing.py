"""Routing by host: tenants, the public site, unknown hosts, and what it costs."""

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prm.tenancy.selectors import tenant_host_cache_clear
from tests.conftest import TenantClient, host_of


def test_unknown_host_gets_the_plain_not_found_page(client_a: TenantClient) -> None:
    # given a host under the base domain that no tenant has
    stranger = TenantClient("nowhere.localhost")

    for path in ("/", "/accounts/login/", "/api/v1/me/"):
        # when someone asks it for a page
        response = stranger.get(path)

        # then the answer is the plain 404 page, naming no tenant and no site
        body = response.content.decode()
        assert response.status_code == 404, path
        assert "There is nothing at this address" in body
        for tenant_content in ("Alpha Corp", "Beta Corp", "Sign in", "partner relationship"):
            assert tenant_content not in body


def test_public_host_serves_the_landing_page_and_no_tenant_pages(
    public_client: TenantClient,
) -> None:
    # when the base domain itself is asked for its home page
    landing = public_client.get("/")

    # then it is the public landing page
    assert landing.status_code == 200
    assert "partner relationship management" in landing.content.decode()
    # and tenant pages are not there
    assert public_client.get("/accounts/login/").status_code == 404


def test_host_lookup_is_cached(client_a: TenantClient, tenant_a: Any) -> None:
    # given nothing cached for alpha's host
    tenant_host_cache_clear(hostname=host_of(tenant_a))

    # when alpha's host is asked twice
    with CaptureQueriesContext(connection) as first:
        assert client_a.get("/accounts/login/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client_a.get("/accounts/login/").status_code == 200

    # then only the first request looked the host up in the database
    assert any("tenancy_domain" in query["sql"] for query in first.captured_queries)
    assert not [
        query["sql"] for query in second.captured_queries if "tenancy_domain" in query["sql"]
    ]


def test_search_path_is_set_at_most_once_per_request(alpha_admin: TenantClient) -> None:
    # given alpha's host already looked up once
    assert alpha_admin.get("/settings/").status_code == 200

    # when a signed-in admin opens a page that runs several queries
    with CaptureQueriesContext(connection) as queries:
        response = alpha_admin.get("/settings/")

    # then the connection's search_path was set no more than once for it
    assert response.status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) >= 3, statements
    set_calls = [sql for sql in statements if sql.upper().startswith("SET SEARCH_PATH")]
    assert len(set_calls) <= 1, statements


def test_cache_keys_carry_the_schema(in_tenant: Any, tenant_a: Any, tenant_b: Any) -> None:
    # given the same key written in alpha and in beta
    key = f"test:same-key:{uuid.uuid4()}"
    with in_tenant(tenant_a):
        cache.set(key, "alpha's value", 60)
    with in_tenant(tenant_b):
        cache.set(key, "beta's value", 60)

    # when each tenant reads it back
    with in_tenant(tenant_a):
        seen_by_alpha = cache.get(key)
    with in_tenant(tenant_b):
        seen_by_beta = cache.get(key)

    # then each sees its own value, and the public schema sees neither
    assert seen_by_alpha == "alpha's value"
    assert seen_by_beta == "beta's value"
    assert cache.get(key) is None
