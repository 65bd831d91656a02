"""The Celery app `prm` (`celery -A prm worker`, `celery -A prm beat`).

Tenant-aware (tenant-schemas-celery): a task queued inside a tenant carries the
schema in its message headers and runs in that schema. A task that finds itself in
the public schema refuses to run unless it says it is a platform task, so nothing
runs in the public schema by accident.
"""

import os
from typing import Any

from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")


class PublicSchemaRefused(RuntimeError):
    pass


class PrmTask(TenantTask):
    # Set True on tasks that are meant to run in the public schema (dispatchers).
    platform_task = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django_tenants.utils import get_public_schema_name

        from prm.tenancy.db import current_schema

        if not self.platform_task and current_schema() == get_public_schema_name():
            raise PublicSchemaRefused(
                f"{self.name} is a tenant task and was queued without a tenant; "
                "queue it inside tenant_context() or through prm.tenancy.tasks.dispatch."
            )
        return super().__call__(*args, **kwargs)


app = CeleryApp("prm", task_cls=PrmTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
