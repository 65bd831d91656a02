"""Tenant-aware Celery tasks: the schema travels with the task, on a real worker."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django_tenants.utils import get_public_schema_name, schema_context

from prm.celery import PublicSchemaRefused
from prm.tenancy.selectors import tenant_list_served
from prm.tenancy.tasks import dispatch, record_heartbeat
from tests.waiting import wait_for


def heartbeat_key(token: str) -> str:
    return f"tenancy:heartbeat:{token}"


def schemas_with_heartbeat(token: str) -> set[str]:
    """Every schema whose cache holds the heartbeat `token` (keys start with the schema)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys: list[bytes] = client.keys(  # type: ignore[assignment]
            f"*:{heartbeat_key(token)}"
        )
    finally:
        client.close()
    return {key.decode().split(":", 1)[0] for key in keys}


@pytest.mark.worker
def test_task_queued_in_a_tenant_runs_in_its_schema(
    in_tenant: Callable[..., Any], tenant_a: Any, tenant_b: Any
) -> None:
    # given a task queued inside alpha
    token = uuid.uuid4().hex
    with in_tenant(tenant_a):
        record_heartbeat.delay(token)

    # when the worker has run it
    def alpha_heartbeat() -> Any:
        with in_tenant(tenant_a):
            return cache.get(heartbeat_key(token))

    # then it ran in alpha's schema, and wrote nothing anywhere else
    assert wait_for(alpha_heartbeat) == "alpha"
    with in_tenant(tenant_b):
        assert cache.get(heartbeat_key(token)) is None
    assert schemas_with_heartbeat(token) == {"alpha"}


@pytest.mark.worker
def test_dispatch_fans_out_to_every_served_tenant(
    db: None, in_tenant: Callable[..., Any], tenant_b: Any
) -> None:
    # given the tenants users reach (not the template, not public)
    served = set(tenant_list_served().values_list("schema_name", flat=True))
    assert {"alpha", "beta"} <= served
    assert settings.TENANT_BASE_SCHEMA not in served

    # when beat's dispatcher is queued, as beat does, from the public schema
    token = uuid.uuid4().hex
    dispatch.delay("tenancy.record_heartbeat", [token])
    wait_for(lambda: schemas_with_heartbeat(token) >= served)
    # (the worker runs one task at a time in queue order, so once a task queued now
    # has run, everything the dispatcher queued has run too)
    sentinel = uuid.uuid4().hex
    with in_tenant(tenant_b):
        record_heartbeat.delay(sentinel)
    wait_for(lambda: schemas_with_heartbeat(sentinel))

    # then the job ran once in every served tenant's schema and nowhere else
    assert schemas_with_heartbeat(token) == served
    for schema in (settings.TENANT_BASE_SCHEMA, get_public_schema_name()):
        with schema_context(schema):
            assert cache.get(heartbeat_key(token)) is None


def test_tenant_task_queued_in_public_schema_refuses_to_run(
    db: None, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a tenant task run from the public schema
    token = uuid.uuid4().hex

    # when it runs, then it refuses
    with pytest.raises(PublicSchemaRefused, match="queued without a tenant"):
        record_heartbeat.apply(args=[token], throw=True)
    assert schemas_with_heartbeat(token) == set()

    # while the same task run from inside a tenant runs there
    with in_tenant(tenant_a):
        assert record_heartbeat.apply(args=[token], throw=True).get() == "alpha"
