"""Attack replays of issue #13, finding 2: bodies that kept a web worker busy until it was
killed. Each must now be refused at once, with the API's one JSON error shape, and
another tenant must stay served while three of them arrive together."""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from reporting.models import Order
from tests.conftest import TenantClient, tenant_schema
from tests.factories import ApiKeyFactory
from tests.reporting.activity import ACTIVITY, order
from tests.reporting.conftest import Catalogue
from tests.reporting.conftest import alpha_catalogue as alpha_catalogue  # the fixture

NESTED = b'{"external_id":' + b"[" * 80000 + b"]" * 80000 + b"}"


class CountingInput(io.BytesIO):
    """A request's input stream that remembers how much of it was read."""

    def __init__(self, body: bytes):
        super().__init__(body)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.read_bytes += len(line)
        return line


def post_stream(client: TenantClient, body: bytes, content_type: str) -> tuple[Any, int]:
    """POST `body` with its Content-Length from a stream; the answer and bytes read."""
    stream = CountingInput(body)
    response = client.generic(
        "POST",
        f"{ACTIVITY}orders/",
        data=b"",
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": stream},  # type: ignore[arg-type]
    )
    return response, stream.read_bytes


def assert_error_shape(body: dict[str, Any], status: int, code: str) -> None:
    """The API's error shape (prm.api.errors), with ingestion's counts beside it."""
    assert (body["status"], body["code"]) == (status, code)
    assert body["message"].endswith(".")
    assert body["errors"] == []  # no row errors: the body itself was refused


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/json"])
def test_a_body_nested_80000_deep_is_a_400_in_well_under_two_seconds(
    content_type: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given the 160 KB body of the report: 80,000 arrays inside external_id

    # when it is posted
    started = time.monotonic()
    response = alpha_api.generic("POST", f"{ACTIVITY}orders/", NESTED, content_type=content_type)
    elapsed = time.monotonic() - started

    # then it is refused as too deep, at once, and nothing was stored
    assert response.status_code == 400, response.content
    body = response.json()
    assert_error_shape(body, 400, "parse_error")
    assert "more than 32 levels deep" in body["message"]
    assert elapsed < 2.0, elapsed
    with tenant_schema(alpha_catalogue.tenant):
        assert not Order.objects.filter(partner_id__in=alpha_catalogue.partner_ids).exists()


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/json", "text/csv"])
def test_one_60_mb_value_is_a_413_after_reading_a_sliver_of_it(
    content_type: str, alpha_api: TenantClient, alpha_catalogue: Catalogue
) -> None:
    # given a row whose external_id is a 60 MB string (a CSV field, or a JSON string)
    huge = b"x" * 60_000_000
    if content_type == "text/csv":
        body = b"external_id,partner\n" + huge + b",acme\n"
    else:
        body = b'{"external_id": "' + huge + b'", "partner": "acme"}\n'

    # when it is posted
    started = time.monotonic()
    response, read = post_stream(alpha_api, body, content_type)
    elapsed = time.monotonic() - started

    # then it is refused as too large, at once, having read under a megabyte of it
    assert response.status_code == 413, response.content
    body_json = response.json()
    assert_error_shape(body_json, 413, "too_large")
    assert "larger than" in body_json["message"] or "longer than" in body_json["message"]
    assert read < 1_000_000, read
    assert elapsed < 2.0, elapsed


def test_a_row_that_never_ends_is_a_413_and_the_rows_before_it_are_stored(
    alpha_api: TenantClient, alpha_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given batches of two rows, two good rows and then one object of 10 MB of fields
    monkeypatch.setattr("reporting.ingest.BATCH_SIZE", 2)
    acme = alpha_catalogue.ref("acme")
    good = "".join(json.dumps(order(f"before-{index}", acme)) + "\n" for index in range(2))
    endless = b'{"external_id": "x"' + b', "k": 1' * 1_300_000 + b"}\n"

    # when it is posted
    response, read = post_stream(alpha_api, good.encode() + endless, "application/x-ndjson")

    # then it is a 413 naming the row bound, which says the first rows were stored
    assert response.status_code == 413, response.content
    answer = response.json()
    assert_error_shape(answer, 413, "too_large")
    assert "A row is larger than 65536 characters" in answer["message"]
    assert "first 2 rows were read and 2 of them stored" in answer["message"]
    assert read < 2_000_000, read
    with tenant_schema(alpha_catalogue.tenant):
        assert set(
            Order.objects.filter(partner_id__in=alpha_catalogue.partner_ids).values_list(
                "external_id", flat=True
            )
        ) == {"before-0", "before-1"}


@pytest.mark.worker
def test_three_nested_bodies_at_once_leave_another_tenants_healthz_answering(
    live_server_url: str,
    committed: Callable[[Callable[[], Any]], None],
    tenant_a: Any,
    tenant_b: Any,
    beat_alive: None,
) -> None:
    # given an API key of alpha, committed so that the live server sees it
    with tenant_schema(tenant_a):
        api_key = ApiKeyFactory.create(scopes=["read", "write"])

    def clean_up() -> None:
        with tenant_schema(tenant_a):
            user = api_key.user
            api_key.delete()
            if user is not None:
                user.delete()

    committed(clean_up)
    port = urlsplit(live_server_url).port
    assert port is not None
    posted: list[tuple[int, float]] = []
    failures: list[BaseException] = []

    def attack(content_type: str, times: int = 3) -> None:
        # Each sender posts the nested body three times, one after the other.
        try:
            for _ in range(times):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=40)
                started = time.monotonic()
                connection.request(
                    "POST",
                    f"{ACTIVITY}orders/",
                    body=NESTED,
                    headers={
                        "Host": f"{tenant_a.slug}.localhost",
                        "Authorization": f"Bearer {api_key.key}",
                        "Content-Type": content_type,
                    },
                )
                answer = connection.getresponse()
                answer.read()
                posted.append((answer.status, time.monotonic() - started))
                connection.close()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    def healthz() -> tuple[int, float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        started = time.monotonic()
        connection.request("GET", "/healthz", headers={"Host": f"{tenant_b.slug}.localhost"})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return answer.status, time.monotonic() - started

    assert healthz()[0] == 200  # the worker answers pings: healthz is 200 when idle
    # Both gunicorn workers load the API's code before the clock matters.
    for _ in range(4):
        attack("application/json", times=1)
    assert not failures, failures
    posted.clear()

    # when three senders post the nested body in parallel, while beta's /healthz is polled
    senders = [
        threading.Thread(target=attack, args=(content_type,))
        for content_type in ("application/x-ndjson", "application/json", "application/x-ndjson")
    ]
    for sender in senders:
        sender.start()
    polls: list[tuple[int, float]] = []
    while any(sender.is_alive() for sender in senders) or len(polls) < 10:
        polls.append(healthz())
        time.sleep(0.05)
    for sender in senders:
        sender.join()

    # then every post was a 400 within 2 s, and every poll of beta a 200 within 1 s
    assert not failures, failures
    assert len(posted) == 9
    assert all(status == 400 for status, _ in posted), posted
    assert max(seconds for _, seconds in posted) < 2.0, posted
    assert all(status == 200 for status, _ in polls), polls
    assert max(seconds for _, seconds in polls) < 1.0, polls
