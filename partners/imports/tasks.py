"""The import's Celery tasks: each takes a job id and runs its step
(partners.imports.steps). Their names are the routes' and the sweep's
(prm/settings/base.py: CELERY_TASK_ROUTES sends them to the bulk queue)."""

from __future__ import annotations

from typing import Any

from partners.models import ImportJob
from prm.celery import app

from .steps import fail_job, gave_up_message, import_job_apply, import_job_validate


class _ImportTask(app.Task):
    """An import task whose deliveries ran out (prm.celery: its worker died each
    time) fails its job with a message, instead of leaving it "checking" forever."""

    def gave_up(self, job_id: int, *args: Any, **kwargs: Any) -> None:
        job = ImportJob.objects.filter(pk=job_id).defer("content", "sheet").first()
        if job is not None and job.is_running:
            fail_job(job_id, gave_up_message(job, runs=job.attempts))


@app.task(name="partners.import_validate", base=_ImportTask)
def import_validate(job_id: int) -> str | None:
    job = import_job_validate(job_id=job_id)
    return job.state if job else None


@app.task(name="partners.import_apply", base=_ImportTask)
def import_apply(job_id: int) -> str | None:
    job = import_job_apply(job_id=job_id)
    return job.state if job else None
