"""schemathesis over every operation of the OpenAPI document: no 5xx, and every
response matches what the document says (status code, content type, body schema).

Requests go in-process to the WSGI application, on tenant alpha's host, with a
read-write API key of alpha; each operation's examples run inside one test
transaction, rolled back afterwards.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 2


@pytest.fixture
def connection_kept_open() -> Iterator[None]:
    """Like Django's test client: the request cycle must not close the test's
    connection (it holds the transaction the test's data lives in)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schemathesis.serializer("application/x-ndjson")
def ndjson(context: Any, value: Any) -> bytes:
    """The documented NDJSON examples are text already; anything else goes as one line."""
    return (value if isinstance(value, str) else json.dumps(value) + "\n").encode()


schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_promises(
    case: Any, alpha_api: Any, connection_kept_open: None, settings: Any
) -> None:
    # DNS checks go to a closed port on loopback and give up quickly (a timeout).
    settings.PRM_DNS_NAMESERVERS = ["127.0.0.1:9"]
    settings.PRM_DNS_LIFETIME = 0.3
    response = case.call(
        base_url="http://alpha.localhost", headers={"Authorization": f"Bearer {alpha_api.key}"}
    )
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
