"""schemathesis over every operation of the OpenAPI document: no 5xx, and every
response matches what the document says (status code, content type, body schema).
The checks are the ones an outside user runs; the rate limits are lifted for the run
by their documented switch (PRM_API_RATE_LIMITS_ENABLED), as they would be on a test
instance.

Requests go in-process to the WSGI application, on tenant alpha's host, with a
read-write API key of alpha (with the webhooks scope, so every operation is reached);
each test's requests run inside one test transaction, rolled back afterwards (so no
webhook delivery is ever queued). Two runs: each operation alone, and stateful
sequences along the links schemathesis infers (create a partner, then read, change,
check and delete that partner; open a request, then respond to it; ...).
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_user

EXAMPLES_PER_OPERATION = 2
# Scenarios of the stateful run, and calls in each.
SCENARIOS = 40
STEPS_PER_SCENARIO = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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
# The key of the running test; schemathesis sends it as the API's authentication (so it
# does not generate Authorization headers of its own, as with an outside user's --auth).
current_key: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class ApiKeyAuth:
    def get(self, case: Any, context: Any) -> str:
        return current_key.get("key", "")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


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
    case: Any, fuzzing_key: str, connection_kept_open: None
) -> None:
    response = case.call(base_url="http://alpha.localhost")
    case.validate_response(response, checks=CHECKS)


@pytest.fixture
def fuzzing_key(api_client: Any, tenant_a: Any, settings: Any) -> str:
    """A key of alpha with every scope; no rate limit, DNS to a closed loopback port.
    Alpha gets an admin, whom partners created by a key have as channel manager (so
    generated partners are created, and the operations on them reached)."""
    make_user(tenant_a, "admin")
    settings.PRM_API_RATE_LIMITS_ENABLED = False
    # DNS checks (and webhook receivers' names) go to a closed port on loopback and
    # give up quickly (a timeout).
    settings.PRM_DNS_NAMESERVERS = ["127.0.0.1:9"]
    settings.PRM_DNS_LIFETIME = 0.3
    current_key["key"] = api_client(tenant_a, ["read", "write", "webhooks"]).key
    return current_key["key"]


@pytest.mark.django_db
def test_sequences_of_operations_keep_their_promises(
    fuzzing_key: str, connection_kept_open: None
) -> None:
    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        """Each scenario starts from the same data (a savepoint rolled back after it), so
        Hypothesis sees the same answers when it runs a scenario's start again."""

        def setup(self) -> None:
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": "http://alpha.localhost"}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    # every inferred link is a transition; without them this would test nothing
    assert sum("__" in name and "RANDOM" not in name for name in dir(Sequences)) > 50
    Sequences.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            derandomize=True,
            database=None,
            # No shrinking: a scenario replayed against a database that earlier
            # scenarios changed would not repeat (ids move on); a failure is reported as
            # found, with its calls.
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
