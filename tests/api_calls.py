"""Calling the JSON API from tests, and reading its errors.

Every API error has one shape, {"status", "code", "message", "errors"}
(prm/api/errors.py); `error` and `field_errors` check that shape on every error a test
looks at, so a view that answers an error some other way fails the test that meets it.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantClient

ERROR_FIELDS = {"status", "code", "message", "errors"}


def post(client: TenantClient, url: str, body: Any = None) -> Any:
    """POST `body` as JSON; without one, an empty object."""
    return client.post(url, body, content_type="application/json")


def put(client: TenantClient, url: str, body: Any) -> Any:
    return client.put(url, body, content_type="application/json")


def patch(client: TenantClient, url: str, body: Any) -> Any:
    return client.patch(url, body, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    """The body of a successful answer, after checking its status."""
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    """The body of an error answer, after checking the shape every error has."""
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_FIELDS
    assert body["status"] == status
    assert body["message"]
    return body


def field_errors(response: Any) -> dict[str, list[str]]:
    """The errors of a 400 answer, after checking its shape and that its message names
    every field in error."""
    body = error(response, 400)
    assert body["code"] == "invalid"
    assert all(field in body["message"] for field in body["errors"])
    errors: dict[str, list[str]] = body["errors"]
    return errors
