"""The Celery app `prm` (`celery -A prm worker`, `celery -A prm beat`).

Tenant-aware (tenant-schemas-celery): a task queued inside a tenant carries the
schema in its message headers and runs in that schema. A task that finds itself in
the public schema refuses to run unless it says it is a platform task, so nothing
runs in the public schema by accident.

A tenant's task runs with the tenant's time zone active (prm.tenancy.clock), a
platform task with UTC.

Every task run by a worker also takes its tenant's share of its queue and counts its
deliveries (prm.tenancy.fairness): a tenant cannot hold every worker of a heavy
queue, and a task that keeps killing its worker stops coming back.

A task queued outside a worker's task (while answering a request, in a command) is
published once, with short timeouts, through the broker's circuit breaker
(prm.breaker): a broker that is down or hung costs the caller one short wait, then
none while the breaker is open; the caller gets kombu's OperationalError either way.
A service queues its follow-up work with `queue_on_commit`, which takes that error
for an outage it survives: the work's row is saved, and a beat sweep queues it again.
Beat's scheduler is prm.beat.Scheduler, which writes the heartbeat /healthz reads.
"""

import logging
import os
import random
from typing import Any

from celery import Task
from django.utils import timezone
from kombu.exceptions import OperationalError
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from prm.breaker import broker_call
from prm.tenancy import fairness

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")

logger = logging.getLogger(__name__)


class PublicSchemaRefused(RuntimeError):
    pass


class PrmTask(TenantTask):
    # Set True on tasks that are meant to run in the public schema (dispatchers).
    platform_task = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django_tenants.utils import get_public_schema_name

        # lazy: this module loads with the package prm, before the settings and the app
        # registry; django-tenants' backend, under prm.tenancy.db, imports models.
        from prm.tenancy.clock import tenant_zone
        from prm.tenancy.db import current_schema

        schema = current_schema()
        if not self.platform_task and schema == get_public_schema_name():
            raise PublicSchemaRefused(
                f"{self.name} is a tenant task and was queued without a tenant; "
                "queue it inside tenant_context() or through prm.tenancy.tasks.dispatch."
            )
        # The tenant's days and the times its mails show are in its zone; override()
        # puts back what was active before, so the worker's next task starts clean.
        with timezone.override(tenant_zone()):
            task_id = self.request.id
            if task_id is None or self.request.is_eager or self.request.called_directly:
                return super().__call__(*args, **kwargs)
            return self._run_by_worker(task_id, schema, args, kwargs)

    def _run_by_worker(self, task_id: str, schema: str, args: Any, kwargs: Any) -> Any:
        deliveries = fairness.delivery_count(task_id=task_id)
        if deliveries > fairness.max_deliveries():
            logger.error(
                "%s[%s] gave up: delivered %s times without finishing (its worker died)",
                self.name,
                task_id,
                deliveries - 1,
            )
            fairness.delivery_forget(task_id=task_id)
            return self.gave_up(*args, **kwargs)
        queue = fairness.queue_of(self.name)
        try:
            if queue and not fairness.share_acquire(queue=queue, schema=schema, task_id=task_id):
                # Back to the end of the queue, so another tenant's work runs meanwhile.
                self.apply_async(
                    args=args,
                    kwargs=kwargs,
                    countdown=random.uniform(1.0, 3.0),  # noqa: S311
                )
                return None
            try:
                return super().__call__(*args, **kwargs)
            finally:
                if queue:
                    fairness.share_release(queue=queue, schema=schema, task_id=task_id)
        finally:
            fairness.delivery_forget(task_id=task_id)

    def apply_async(self, args: Any = None, kwargs: Any = None, *more: Any, **options: Any) -> Any:
        publish = super().apply_async
        if (
            more
            or options.get("connection") is not None
            or options.get("producer") is not None
            or self.app.current_worker_task is not None
            or self.app.conf.task_always_eager
        ):
            # Workers and beat (which passes its producer) keep kombu's pool and
            # Celery's publish retries: they ride out a broker restart, and no request
            # waits on them.
            return publish(args, kwargs, *more, **options)
        return broker_call(
            self.app,
            lambda connection: publish(args, kwargs, connection=connection, retry=False, **options),
        )

    def gave_up(self, *args: Any, **kwargs: Any) -> Any:
        """Called instead of the task once it has been delivered too often; a task
        with a record to close (an import job, say) overrides it."""
        return None


def queue_on_commit(task: Task, *args: Any, sweep: str) -> None:
    """Queue `task(*args)` when the current transaction commits (at once outside one),
    never failing the caller over the broker.

    The work is saved before it is queued (a delivery, an import job, an event), so a
    broker that is down or hung (kombu's OperationalError, prm.breaker's
    BrokerUnavailable) must not turn a write that succeeded into an error, which the
    client would retry: a warning is logged, and beat's `sweep` (its
    CELERY_BEAT_SCHEDULE entry) queues the work again later. Any other error is a bug
    and is raised. (Django's on_commit(robust=True) would swallow every error, and log
    an expected outage as an error with its traceback.)
    """
    from django.db import transaction

    def publish() -> None:
        try:
            task.delay(*args)
        except OperationalError as error:
            logger.warning(
                "%s%r not queued, the broker is unreachable (%s); beat's %s will queue it",
                task.name,
                tuple(args),
                error,
                sweep,
            )

    transaction.on_commit(publish)


app = CeleryApp("prm", task_cls=PrmTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
# `celery -A prm beat` runs the scheduler that writes beat's heartbeat (`-S` still
# picks another).
app.conf.beat_scheduler = "prm.beat:Scheduler"
app.autodiscover_tasks()
