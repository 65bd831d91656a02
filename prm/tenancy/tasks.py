"""Fan-out of periodic tenant jobs: beat queues `dispatch`, which queues the job once
per tenant, each in its own schema."""

from typing import Any

from django.core.cache import cache
from django_tenants.utils import tenant_context

from prm.celery import app

from .db import current_schema
from .selectors import tenant_list_served


@app.task(platform_task=True, name="tenancy.dispatch")
def dispatch(
    task_name: str, args: list[Any] | None = None, kwargs: dict[str, Any] | None = None
) -> int:
    task = app.tasks[task_name]
    count = 0
    for tenant in tenant_list_served():
        with tenant_context(tenant):
            task.apply_async(args=args or [], kwargs=kwargs or {})
        count += 1
    return count


@app.task(name="tenancy.record_heartbeat")
def record_heartbeat(token: str) -> str:
    """Writes the schema it ran in under `token`; used by /healthz?deep and the tests
    to prove that a task runs in the schema it was queued from."""
    cache.set(f"tenancy:heartbeat:{token}", current_schema(), 300)
    return current_schema()
