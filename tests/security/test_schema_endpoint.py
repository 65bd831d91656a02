"""/api/schema/ is public but cheap: the document is generated once per process and
kept (it is the same for every caller and tenant), and anonymous callers are
rate-limited per address (review finding: six anonymous loops on it raised login time
from 6 ms to 0.5 s)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from prm.api.docs import schema_cache_clear
from tests.conftest import TenantClient

SCHEMA = "/api/schema/"
JSON = "application/vnd.oai.openapi+json"
SHAPE = {"status", "code", "message", "errors"}


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every call of drf-spectacular's generator in this test (with the kept documents
    forgotten first), as the request each was given."""
    calls: list[Any] = []
    generate: Callable[..., dict[str, Any]] = SchemaGenerator.get_schema

    def counted(self: SchemaGenerator, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs.get("request", args[0] if args else None))
        return generate(self, *args, **kwargs)

    schema_cache_clear()
    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    yield calls
    schema_cache_clear()


def an_address() -> str:
    """A documentation address of its own for each test, so no other test's calls
    count against its budget."""
    return f"198.51.100.{random.randint(1, 254)}"


def test_the_document_is_generated_once_for_every_caller_and_tenant(
    generations: list[Any], client_a: TenantClient, client_b: TenantClient, alpha_api: TenantClient
) -> None:
    # when a stranger asks alpha twice, an integrator asks alpha and a stranger asks beta
    first = client_a.get(SCHEMA)
    again = client_a.get(SCHEMA)
    with_key = alpha_api.get(SCHEMA)
    on_beta = client_b.get(SCHEMA)

    # then all get the same OpenAPI document, generated once, not for any one caller
    for response in (first, again, with_key, on_beta):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.oai.openapi")
        assert response.content == first.content
    assert b"/api/v1/partners/" in first.content
    assert generations == [None]


def test_json_and_yaml_are_written_from_the_one_document(
    generations: list[Any], client_a: TenantClient
) -> None:
    # when the document is asked for as YAML, as JSON, and as JSON again
    yaml_answer = client_a.get(SCHEMA)
    json_answer = client_a.get(SCHEMA, HTTP_ACCEPT=JSON)
    json_again = client_a.get(SCHEMA, HTTP_ACCEPT=JSON)

    # then each format is what was asked for, from one generation
    assert yaml_answer.content.startswith(b"openapi: ")
    assert json_answer["Content-Type"] == JSON
    document = json.loads(json_answer.content)
    assert "/api/v1/partners/" in document["paths"]
    assert json_again.content == json_answer.content
    assert len(generations) == 1


def test_anonymous_callers_past_their_rate_get_429_with_retry_after(
    client_a: TenantClient, alpha_api: TenantClient, settings: Any
) -> None:
    # given a rate of three anonymous requests a minute, and one caller's address
    settings.PRM_API_RATE_ANONYMOUS = "3/minute"
    address = an_address()

    # when that caller asks four times, then once more claiming another address
    statuses = [client_a.get(SCHEMA, REMOTE_ADDR=address).status_code for _ in range(4)]
    disguised = client_a.get(SCHEMA, REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="203.0.113.9")

    # then the fourth is refused, saying when to come back, and so is the disguised one
    assert statuses == [200, 200, 200, 429]
    assert disguised.status_code == 429
    assert int(disguised["Retry-After"]) > 0
    assert disguised.json()["code"] == "throttled"
    assert set(disguised.json()) == SHAPE
    # while an integrator with a key, from the same address, is not counted with them
    assert alpha_api.get(SCHEMA, REMOTE_ADDR=address).status_code == 200
