"""The OpenAPI document's examples: every operation has them, each fits its schema, and
the documented requests, sent to the real API, get answers shaped like the documented
answers (same keys, same JSON types), errors included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator

from prm.accounts.models import Role
from reporting import rollups
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.factories import PartnerFactory, UserFactory

SCHEMA: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, items in SCHEMA["paths"].items():
        for method, operation in items.items():
            if method in METHODS:
                yield path, method, operation


OPERATIONS = {operation["operationId"]: (path, method) for path, method, operation in operations()}


def operation(operation_id: str) -> dict[str, Any]:
    path, method = OPERATIONS[operation_id]
    return dict(SCHEMA["paths"][path][method])


def success(operation_id: str) -> tuple[int, dict[str, Any]]:
    """The success status and its application/json content."""
    responses = operation(operation_id)["responses"]
    status = min(code for code in responses if code.startswith("2"))
    return int(status), responses[status].get("content", {}).get("application/json", {})


def request_examples(operation_id: str, media_type: str = "application/json") -> dict[str, Any]:
    content = operation(operation_id)["requestBody"]["content"][media_type]
    return {name: example["value"] for name, example in content["examples"].items()}


def response_examples(operation_id: str) -> dict[str, Any]:
    _, content = success(operation_id)
    return {name: example["value"] for name, example in content["examples"].items()}


# --- every operation is documented with examples that fit ---------------------------------


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_every_operation_has_request_and_answer_examples(operation_id: str) -> None:
    # given the operation's request body (if any) and its success answer
    body = operation(operation_id).get("requestBody", {}).get("content", {})
    status, answer = success(operation_id)

    # then each media type of the body and the answer (unless it has none) has examples
    for media_type, content in body.items():
        assert content.get("examples"), f"{operation_id}: no {media_type} request example"
    if status != 204:
        assert answer.get("examples"), f"{operation_id}: no {status} answer example"


def _open_api_30_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` in JSON Schema terms; the rest is draft 4 already."""
    if isinstance(node, list):
        return [_open_api_30_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _open_api_30_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


COMPONENTS = _open_api_30_to_json_schema(SCHEMA["components"])


def documented_examples() -> Iterator[Any]:
    for path, method, item in operations():
        name = f"{method.upper()} {path}"
        for media_type, content in item.get("requestBody", {}).get("content", {}).items():
            for example, value in content.get("examples", {}).items():
                yield pytest.param(
                    content["schema"], value["value"], id=f"{name} {media_type} {example}"
                )
        for status, response in item["responses"].items():
            for content in response.get("content", {}).values():
                for example, value in content.get("examples", {}).items():
                    yield pytest.param(
                        content["schema"], value["value"], id=f"{name} {status} {example}"
                    )


@pytest.mark.parametrize(("schema", "value"), list(documented_examples()))
def test_every_example_fits_its_schema(schema: dict[str, Any], value: Any) -> None:
    validator = Draft4Validator({**_open_api_30_to_json_schema(schema), "components": COMPONENTS})
    errors = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(value)
    ]
    assert not errors


# --- the documented requests get the documented answers -----------------------------------


def assert_same_shape(real: Any, documented: Any, where: str = "") -> None:
    """Same keys in every object, same JSON type in every value that is not null (in
    lists, the first items are compared)."""
    if isinstance(documented, dict):
        assert isinstance(real, dict), f"{where}: {real!r} is not an object"
        assert sorted(real) == sorted(documented), f"{where}: keys differ"
        for key in documented:
            assert_same_shape(real[key], documented[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(real, list), f"{where}: {real!r} is not a list"
        if real and documented:
            assert_same_shape(real[0], documented[0], f"{where}[0]")
    elif real is not None and documented is not None:
        assert type(real) is type(documented), f"{where}: {real!r} is not like {documented!r}"


@pytest.fixture
def northwind_world(tenant_a: Any) -> Any:
    """What the examples refer to, in alpha: the manager, product router-x1 and (for the
    activity and SLA examples) partner northwind."""
    from partners.services import product_create

    with tenant_schema(tenant_a):
        manager = UserFactory.create(role=Role.MANAGER, email="manager@demo.test")
        product = product_create(actor=None, sku="router-x1", name="Router X1")
    return manager, product


@pytest.fixture
def northwind(northwind_world: Any, tenant_a: Any) -> Any:
    manager, product = northwind_world
    with tenant_schema(tenant_a):
        partner = PartnerFactory.create(
            ref="northwind", name="Northwind Traders", channel_manager=manager
        )
        partner.products.add(product)
    return partner


def send(client: TenantClient, method: str, url: str, body: Any, media_type: str) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type=media_type)


def test_partner_create_example_gets_the_documented_answer(
    alpha_api: TenantClient, northwind_world: Any
) -> None:
    # given the documented request
    (body,) = request_examples("partners_create").values()

    # when it is sent
    response = send(alpha_api, "post", "/api/v1/partners/", body, "application/json")

    # then the partner is created and the answer is shaped like the documented one
    assert response.status_code == 201, response.json()
    (documented,) = response_examples("partners_create").values()
    assert_same_shape(response.json(), documented)
    assert {key: response.json()[key] for key in ("ref", "phone", "country", "products")} == {
        key: documented[key] for key in ("ref", "phone", "country", "products")
    }


@pytest.mark.parametrize("kind", ["orders", "calls", "contacts", "inventory"])
def test_ingestion_examples_get_the_documented_answers(
    kind: str, alpha_api: TenantClient, northwind: Any
) -> None:
    operation_id = f"activity_{kind}_create"
    answers = list(response_examples(operation_id).values())
    all_stored, one_reported = answers
    for media_type in ("application/json", "application/x-ndjson", "text/csv"):
        for name, body in request_examples(operation_id, media_type).items():
            # when each documented body is sent in its media type
            response = send(alpha_api, "post", f"/api/v1/activity/{kind}/", body, media_type)

            # then it is stored, and the answer has the documented shape
            assert response.status_code == 200, (name, response.json())
            answer = response.json()
            invalid = "Invalid" in name
            assert_same_shape(answer, one_reported if invalid else all_stored, name)
            if invalid:  # the documented messages are the real ones
                assert answer["errors"] == one_reported["errors"]
            else:
                assert answer["errors"] == []
                assert answer["received"] == (1 if isinstance(body, dict) else 2)


def test_metrics_examples_get_the_documented_answers(
    alpha_api: TenantClient, northwind: Any, tenant_a: Any
) -> None:
    # given the documented orders, calls, contacts and inventory, folded into the rollups
    for kind in ("orders", "calls", "contacts", "inventory"):
        (body, *_) = [
            value
            for name, value in request_examples(f"activity_{kind}_create").items()
            if name == "AJSONArray"
        ]
        assert send(alpha_api, "post", f"/api/v1/activity/{kind}/", body, "application/json")
    with tenant_schema(tenant_a):
        rollups.fold_all()
    period = "from=2026-11-01&to=2026-11-30"

    # then the summary, the partners' rows, a series and the status are shaped as documented
    summary = alpha_api.get(f"/api/v1/metrics/summary/?{period}")
    assert summary.status_code == 200
    (documented,) = response_examples("metrics_summary_retrieve").values()
    assert_same_shape(summary.json(), documented)
    assert summary.json()["revenue"] == "1290.00"  # money as a decimal string

    partners = alpha_api.get(f"/api/v1/metrics/partners/?{period}&search=northwind")
    (documented,) = response_examples("metrics_partners_retrieve").values()
    assert_same_shape(partners.json(), documented)
    assert partners.json()["results"][0]["partner"] == "northwind"

    series = alpha_api.get(
        "/api/v1/metrics/partners/northwind/series/?from=2026-10-01&to=2026-11-30&interval=month"
    )
    (documented,) = response_examples("metrics_partners_series_retrieve").values()
    assert_same_shape(series.json(), documented)
    empty_month = series.json()["series"][0]
    assert empty_month["avg_order_value"] is None  # null for a division by zero
    assert_same_shape(empty_month, documented["series"][0])

    status = alpha_api.get("/api/v1/metrics/status/")
    assert_same_shape(status.json(), response_examples("metrics_status_retrieve")["UpToDate"])
    assert status.json()["pending"] == 0


@pytest.mark.parametrize(
    ("operation_id", "url"),
    [
        ("products_create", "/api/v1/products/"),
        ("tiers_create", "/api/v1/tiers/"),
        ("slas_create", "/api/v1/slas/"),
        ("requests_create", "/api/v1/requests/"),
        ("partners_contacts_create", "/api/v1/partners/northwind/contacts/"),
        ("partners_sla_update", "/api/v1/partners/northwind/sla/"),
    ],
)
def test_other_write_examples_get_the_documented_answers(
    operation_id: str, url: str, alpha_api: TenantClient, northwind: Any
) -> None:
    _, method = OPERATIONS[operation_id]
    status, _ = success(operation_id)
    (body,) = request_examples(operation_id).values()
    if operation_id == "products_create":
        body = {**body, "sku": "router-x2"}  # router-x1 is northwind's already
    response = send(alpha_api, method, url, body, "application/json")

    assert response.status_code == status, response.json()
    documented = next(iter(response_examples(operation_id).values()))
    assert_same_shape(response.json(), documented)


def test_api_key_examples_get_the_documented_answer(alpha_admin: TenantClient) -> None:
    bodies = request_examples("api_keys_create").values()
    (documented,) = response_examples("api_keys_create").values()

    for body in bodies:
        response = send(alpha_admin, "post", "/api/v1/api-keys/", body, "application/json")

        assert response.status_code == 201
        assert_same_shape(response.json(), documented)
        assert response.json()["rate_limit"] == body.get("rate_limit")

    key_id = response.json()["id"]
    for body in request_examples("api_keys_partial_update").values():
        response = send(
            alpha_admin, "patch", f"/api/v1/api-keys/{key_id}/", body, "application/json"
        )
        assert response.status_code == 200
        assert response.json()["rate_limit"] == body["rate_limit"]


# --- the documented errors are the real ones ----------------------------------------------


def documented_error(path: str, method: str, status: int) -> dict[str, Any]:
    content = SCHEMA["paths"][path][method]["responses"][str(status)]["content"]
    return next(iter(content["application/json"]["examples"].values()))["value"]


def same_message(real: str, documented: str) -> bool:
    """Equal but for numbers and quoted values (sizes, seconds, media types)."""

    def pattern(text: str) -> str:
        return re.sub(r"\d+|“[^”]*”", "#", text)

    return pattern(real) == pattern(documented)


def test_documented_errors_are_what_the_api_answers(
    alpha_api: TenantClient, api_client: Any, tenant_a: Any, northwind: Any, settings: Any
) -> None:
    partners, partner = "/api/v1/partners/", "/api/v1/partners/{ref}/"
    orders, product = "/api/v1/activity/orders/", "/api/v1/products/{sku}/"
    order = request_examples("activity_orders_create")["OneObject"]
    send(alpha_api, "post", orders, order, "application/json")  # router-x1 is in use now
    anonymous = client_for(tenant_a)
    read_only = api_client(tenant_a, scopes=["read"])
    settings.PRM_INGEST_MAX_BYTES = 10
    answers = {
        (partners, "post", 400): send(
            alpha_api, "post", partners, {"ref": "x"}, "application/json"
        ),
        (partners, "get", 401): anonymous.get(partners),
        (partners, "post", 403): send(read_only, "post", partners, {}, "application/json"),
        (partner, "get", 404): alpha_api.get("/api/v1/partners/nobody/"),
        ("/api/v1/slas/{slug}/", "get", 405): alpha_api.delete("/api/v1/slas/standard/"),
        (product, "delete", 409): alpha_api.delete("/api/v1/products/router-x1/"),
        (orders, "post", 413): send(alpha_api, "post", orders, "[" + " " * 20 + "]", "text/csv"),
        (orders, "post", 415): send(alpha_api, "post", orders, "x", "text/plain"),
    }
    settings.PRM_API_RATE_PER_KEY = "1/minute"
    busy = api_client(tenant_a)
    busy.get(partners)
    answers[(partners, "get", 429)] = busy.get(partners)

    for (path, method, status), response in answers.items():
        documented = documented_error(path, method, status)
        real = response.json()
        assert response.status_code == status, real
        assert_same_shape(real, documented, f"{status}")
        assert real["code"] == documented["code"], status
        assert same_message(real["message"], documented["message"]), (status, real["message"])
        assert real["errors"] == documented["errors"], status


def test_atomic_ingestion_error_is_what_the_api_answers(
    alpha_api: TenantClient, northwind: Any
) -> None:
    # given the documented order and one of a partner that does not exist
    order = request_examples("activity_orders_create")["OneObject"]
    rows = [order, {**order, "external_id": "erp-9", "partner": "nobody"}]

    response = send(
        alpha_api, "post", "/api/v1/activity/orders/?atomic=true", rows, "application/json"
    )

    assert response.status_code == 400
    content = operation("activity_orders_create")["responses"]["400"]["content"]
    documented = content["application/json"]["examples"]["nothing_stored"]["value"]
    assert_same_shape(response.json(), documented)
    assert response.json()["errors"] == documented["errors"]
    assert same_message(response.json()["message"], documented["message"])
