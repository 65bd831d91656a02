"""Import jobs whose step could not be queued (the broker was down when the upload or
the confirmation committed) or was lost: the page still answers as usual, beat's
sweep queues the step again once the job has waited too long, and the sweep never
counts toward the job's attempts."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from partners.imports import import_apply, import_validate
from partners.models import ImportFormat, ImportJob, ImportState, Partner
from partners.tasks import sweep_imports
from prm.accounts.models import Role
from tests.broker_outage import broker_unreachable
from tests.conftest import client_for, log_in
from tests.factories import UserFactory

OVERDUE_SECONDS = 600


@pytest.fixture(autouse=True)
def _margin(settings: Any) -> None:
    settings.PRM_IMPORT_OVERDUE_SECONDS = OVERDUE_SECONDS


@contextmanager
def queued_steps() -> Iterator[list[tuple[str, int]]]:
    """The (task, job id) pairs the import steps are queued with meanwhile (nothing is
    published)."""
    queued: list[tuple[str, int]] = []
    with (
        mock.patch.object(
            import_validate, "delay", side_effect=lambda pk: queued.append(("validate", pk))
        ),
        mock.patch.object(
            import_apply, "delay", side_effect=lambda pk: queued.append(("apply", pk))
        ),
    ):
        yield queued


def waited_too_long(job_id: int) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        updated_at=timezone.now() - timedelta(seconds=OVERDUE_SECONDS + 5)
    )


def csv_upload(rows: list[list[str]]) -> io.BytesIO:
    output = io.StringIO()
    csv.writer(output).writerows(rows)
    upload = io.BytesIO(output.getvalue().encode())
    upload.name = "partners.csv"
    return upload


def test_an_import_started_while_the_broker_is_down_is_checked_and_run_by_the_sweep(
    committed: Any, in_tenant: Any, tenant_a: Any, caplog: Any
) -> None:
    # given a manager signed in, all committed: each request commits, as in production,
    # and queues its step when it does
    marker = uuid.uuid4().hex[:8]
    prefix = f"swept-{marker}-"
    with in_tenant(tenant_a):
        manager = UserFactory.create(role=Role.MANAGER, email=f"swept-{marker}@example.com")
    browser = log_in(client_for(tenant_a), tenant_a, manager)

    def clean_up() -> None:
        with in_tenant(tenant_a):
            Partner.objects.filter(ref__startswith=prefix).delete()
            Partner.history.filter(ref__startswith=prefix).delete()
            ImportJob.objects.filter(created_by=manager).delete()
            Session.objects.filter(session_key=browser.session.session_key).delete()
            manager.delete()

    committed(clean_up)

    # when the manager uploads a file while the broker refuses connections
    rows = [["ref", "name", "channel_manager"]] + [
        [f"{prefix}{number}", f"Swept {marker} {number}", manager.email] for number in (1, 2)
    ]
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="prm.celery"):
        response = browser.post(
            reverse("partner_import:start"), {"file": csv_upload(rows), "mode": "create"}
        )

    # then the page answers as usual, off to the job, which waits to be checked
    assert response.status_code == 302, response.content
    with in_tenant(tenant_a):
        job = ImportJob.objects.get(created_by=manager)
    assert response["Location"] == reverse("partner_import:job", args=[job.public_id])
    assert (job.state, job.attempts) == (ImportState.UPLOADED, 0)
    assert "partners-import-sweep" in caplog.text

    # when beat's sweep runs in alpha before the job has waited too long
    with in_tenant(tenant_a), queued_steps() as queued:
        sweep_imports()
    # then it leaves the job alone
    assert not [step for step in queued if step[1] == job.pk]

    # when it runs once the job has waited longer than PRM_IMPORT_OVERDUE_SECONDS
    with in_tenant(tenant_a):
        waited_too_long(job.pk)
        with queued_steps() as queued:
            sweep_imports()
    # then it queues the check, once
    assert [step for step in queued if step[1] == job.pk] == [("validate", job.pk)]

    # when the queued check runs, and a second message for it after (the lost one,
    # found after all)
    with in_tenant(tenant_a):
        import_validate(job.pk)
        import_validate(job.pk)
        job.refresh_from_db()
    # then the job is checked, once, and neither message counts as a failed run
    assert (job.state, job.valid_rows, job.attempts) == (ImportState.VALIDATED, 2, 0)

    # when the manager confirms while the broker is down again
    with broker_unreachable():
        response = browser.post(reverse("partner_import:run", args=[job.public_id]))

    # then the page answers as usual, and the job waits to be imported
    assert response.status_code == 302, response.content
    with in_tenant(tenant_a):
        job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportState.IMPORTING, 0)

    # when the sweep runs once the job has waited too long
    with in_tenant(tenant_a):
        waited_too_long(job.pk)
        with queued_steps() as queued:
            sweep_imports()
    # then it queues the import, once
    assert [step for step in queued if step[1] == job.pk] == [("apply", job.pk)]

    # when the queued import runs
    with in_tenant(tenant_a):
        import_apply(job.pk)
        job.refresh_from_db()
        imported = set(Partner.objects.filter(ref__startswith=prefix).values_list("ref", flat=True))
    # then both partners are there, and the import ran once
    assert imported == {f"{prefix}1", f"{prefix}2"}
    assert (job.state, job.created_count, job.attempts) == (ImportState.DONE, 2, 1)


@pytest.mark.django_db
def test_the_sweep_queues_only_steps_that_have_not_begun_and_counts_no_attempt(
    in_tenant: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with in_tenant(tenant_a):
        # given jobs in every state, all but one untouched for longer than the margin
        def job(state: str, attempts: int = 0, *, waited: bool = True) -> int:
            made = ImportJob.objects.create(
                filename="partners.csv",
                format=ImportFormat.CSV,
                content=b"ref,name\n",
                state=state,
                attempts=attempts,
            )
            if waited:
                waited_too_long(made.pk)
            return int(made.pk)

        jobs = {
            "uploaded just now": job(ImportState.UPLOADED, waited=False),
            "uploaded, never checked": job(ImportState.UPLOADED),
            "check begun, not counted": job(ImportState.VALIDATING),
            "check running": job(ImportState.VALIDATING, 1),
            "checked, waiting for a person": job(ImportState.VALIDATED),
            "confirmed, never imported": job(ImportState.IMPORTING),
            "import running": job(ImportState.IMPORTING, 2),
            "done": job(ImportState.DONE, 1),
            "failed": job(ImportState.FAILED, 3),
        }
        names = {pk: name for name, pk in jobs.items()}
        attempts_before = dict(ImportJob.objects.values_list("pk", "attempts"))

        # when beat's sweep runs
        with queued_steps() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_imports()

        # then it queued the step of each job whose step has not begun, and only those
        assert sorted((names[pk], task) for task, pk in queued if pk in names) == [
            ("check begun, not counted", "validate"),
            ("confirmed, never imported", "apply"),
            ("uploaded, never checked", "validate"),
        ]
        # and counted no attempt anywhere (a step that began is Celery's to redeliver)
        assert dict(ImportJob.objects.values_list("pk", "attempts")) == attempts_before

        # when it runs again at once
        with queued_steps() as queued, django_capture_on_commit_callbacks(execute=True):
            sweep_imports()
        # then it queues none of them again: each counts as just queued
        assert not [pk for _task, pk in queued if pk in names]
