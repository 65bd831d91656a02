"""Every API error has one JSON shape, also outside DRF's views; keys are rate limited."""

from typing import Any

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

SHAPE = {"status", "code", "message", "errors"}


def test_an_unknown_api_path_answers_json_not_html(alpha_api: Any) -> None:
    response = alpha_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == SHAPE
    assert response.json()["code"] == "not_found"


def test_an_unknown_page_outside_the_api_stays_html(alpha_admin: Any) -> None:
    response = alpha_admin.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@override_settings(ROOT_URLCONF="tests.api.crash_urls")
def test_a_crash_under_the_api_answers_json(alpha_api: Any) -> None:
    # given a view that raises; the client reports responses instead of raising
    alpha_api.raise_request_exception = False
    # when it is called
    response = alpha_api.get("/api/v1/crash/")
    # then the client gets the JSON shape with a 500
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert set(response.json()) == SHAPE


@override_settings(ROOT_URLCONF="tests.api.crash_urls", DEBUG=True)
def test_with_debug_on_api_errors_stay_json(alpha_api: Any) -> None:
    # given the run command's DEBUG setting, where Django renders its technical pages
    alpha_api.raise_request_exception = False
    # when a path is unknown, and when a view crashes
    missing = alpha_api.get("/api/v1/deals-that-do-not-exist/")
    crashed = alpha_api.get("/api/v1/crash/")
    # then both answer the API's JSON shape, not an HTML debug page
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json()["code"] == "not_found"
    assert crashed.status_code == 500
    assert crashed["Content-Type"] == "application/json"
    assert set(crashed.json()) == SHAPE
    assert "boom" not in crashed.content.decode()


@override_settings(DEBUG=True)
def test_with_debug_on_pages_keep_their_html_errors(alpha_admin: Any) -> None:
    response = alpha_admin.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_key_over_its_rate_gets_429_with_retry_after(alpha_api: Any, settings: Any) -> None:
    # given a rate of three requests a minute
    settings.PRM_API_RATE_PER_KEY = "3/minute"
    # when the key makes four
    statuses = [alpha_api.get("/api/v1/me/").status_code for _ in range(4)]
    # then the fourth is refused, saying when to come back
    assert statuses == [200, 200, 200, 429]
    refused = alpha_api.get("/api/v1/me/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    assert set(refused.json()) == SHAPE


def test_rates_are_counted_per_key(
    alpha_api: Any, api_client: Any, tenant_a: Any, settings: Any
) -> None:
    # given one key that used up its budget
    settings.PRM_API_RATE_PER_KEY = "2/minute"
    for _ in range(3):
        alpha_api.get("/api/v1/me/")
    # when another key of the same tenant calls
    other = api_client(tenant_a, ["read"])
    # then it still has its own budget
    assert other.get("/api/v1/me/").status_code == 200


def test_the_web_servers_414_is_documented_with_the_limit_it_uses() -> None:
    # given the request-line limit the run command's and the image's gunicorn are given
    import re
    from pathlib import Path

    from drf_spectacular.generators import SchemaGenerator

    from prm.api.schema import REQUEST_LINE_LIMIT

    root = Path(__file__).resolve().parents[2]
    for source in ("Dockerfile", "prm/devstack/__main__.py"):
        text = (root / source).read_text()
        (limit,) = re.findall(r'"--limit-request-line",\s*"(\d+)"', text)
        assert int(limit) == REQUEST_LINE_LIMIT, source

    # then every operation documents the 414 that gunicorn answers past it, as HTML
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        operation
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert operations
    for operation in operations:
        answer = operation["responses"]["414"]
        assert str(REQUEST_LINE_LIMIT) in answer["description"]
        assert list(answer["content"]) == ["text/html"]
