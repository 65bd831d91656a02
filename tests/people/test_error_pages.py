"""Error pages (issue 16, found 13): 403 and 404 in the site's layout with navigation
and sign-out; 500 without the database or the request; API paths keep JSON."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from prm.api.handlers import server_error
from tests.conftest import TenantClient


def test_a_404_has_the_navigation_and_sign_out(alpha_manager: TenantClient) -> None:
    # when a signed-in manager opens an address that does not exist
    response = alpha_manager.get("/no-such-page/")

    # then the page is the site's: navigation, the menu, a way out
    page = response.content.decode()
    assert response.status_code == 404
    assert 'aria-label="Main navigation"' in page
    assert 'action="/accounts/logout/"' in page
    assert "There is nothing at this address" in page
    assert 'href="/partners/"' in page


def test_a_403_has_the_navigation_and_says_whom_to_ask(
    alpha_manager: TenantClient, alpha_admin: TenantClient
) -> None:
    # when a manager opens the admins' settings
    response = alpha_manager.get("/settings/")

    # then the page explains and names an administrator
    page = response.content.decode()
    assert response.status_code == 403
    assert 'aria-label="Main navigation"' in page
    assert 'action="/accounts/logout/"' in page
    assert alpha_admin.user.email in page


def test_api_paths_keep_json(alpha_manager: TenantClient) -> None:
    response = alpha_manager.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_500_page_needs_no_database_and_no_request_context(db: None) -> None:
    # given a request with no user, no tenant and no session (what a crash may leave)
    request = RequestFactory().get("/partners/")

    # when the 500 handler renders
    with CaptureQueriesContext(connection) as queries:
        response = server_error(request)

    # then it used no query and still looks like the site
    page = response.content.decode()
    assert response.status_code == 500
    assert len(queries) == 0
    assert "Something went wrong on our side" in page
    assert "bootstrap.min.css" in page
    assert 'aria-label="Main navigation"' in page


def test_the_500_page_of_an_api_path_is_json(db: None) -> None:
    response: Any = server_error(RequestFactory().get("/api/v1/partners/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
