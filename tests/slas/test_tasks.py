"""The SLA beat job on a real worker, in every tenant's schema, and evaluations that
overlap: each event is raised, and mailed, once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from prm.celery import app
from prm.tenancy.tasks import dispatch
from slas import services
from slas.models import ClockState, EventKind, Notification, PartnerRequest, SlaEvent
from tests.slas.policies import overdue_request, remove_overdue
from tests.waiting import wait_for

# The worker is shared by the session and may still be busy with an earlier test's work.
WORKER_WAIT = 90.0


def heartbeat_in(in_tenant: Callable[..., Any], tenant: Any, token: str) -> Any:
    with in_tenant(tenant):
        return cache.get(f"tenancy:heartbeat:{token}")


# --- the beat job on the real worker ----------------------------------------------------------


@pytest.mark.worker
def test_the_beat_job_evaluates_each_tenants_clocks_in_its_schema_once(
    committed: Callable[[Callable[[], Any]], None],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    tenant_b: Any,
) -> None:
    # given an overdue request in alpha and one in beta, committed for the worker
    marker = uuid.uuid4().hex[:8]
    tenants = {"alpha": tenant_a, "beta": tenant_b}

    def clean_up() -> None:
        for tenant in tenants.values():
            with in_tenant(tenant):
                remove_overdue(marker)

    committed(clean_up)
    requests = {}
    for name, tenant in tenants.items():
        with in_tenant(tenant):
            requests[name] = overdue_request(marker)

    def events(name: str) -> list[tuple[str, str, datetime | None]]:
        with in_tenant(tenants[name]):
            return list(
                SlaEvent.objects.filter(request_id=requests[name].pk).values_list(
                    "clock", "kind", "notified_at"
                )
            )

    def notified_everywhere() -> bool:
        return all(
            (found := events(name)) and all(notified for *_, notified in found) for name in tenants
        )

    # when beat's entry fires as beat sends it: the dispatcher, queued from public
    entry = settings.CELERY_BEAT_SCHEDULE["slas-evaluate-clocks"]
    assert (entry["task"], entry["args"]) == (dispatch.name, ["slas.evaluate_clocks"])
    dispatch.delay(*entry["args"])
    wait_for(notified_everywhere, timeout=WORKER_WAIT)
    first_round = {name: events(name) for name in tenants}

    # and fires again (a heartbeat dispatched after it runs after its evaluations:
    # one solo worker, tasks in queue order)
    dispatch.delay(*entry["args"])
    token = uuid.uuid4().hex
    dispatch.delay("tenancy.record_heartbeat", [token])
    wait_for(
        lambda: all(heartbeat_in(in_tenant, tenant, token) for tenant in tenants.values()),
        timeout=WORKER_WAIT,
    )

    # then each tenant's request breached once, in its own schema, and was notified
    # once: the second round neither raised an event nor sent its mail again
    for name, tenant in tenants.items():
        ((clock, kind, notified_at),) = first_round[name]
        assert (clock, kind) == ("first_response", EventKind.BREACHED)
        assert notified_at is not None
        assert events(name) == first_round[name]
        with in_tenant(tenant):
            request = PartnerRequest.objects.get(pk=requests[name].pk)
            assert request.first_response_state == ClockState.BREACHED
            assert Notification.objects.filter(event__request=request).count() == 1
            # and the other tenant's breach is not here
            assert SlaEvent.objects.filter(detail__contains=marker).count() == 1


# --- overlapping evaluations ------------------------------------------------------------------


@pytest.fixture
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued tasks run at once, in the queuing thread and in its schema."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


def waiting_on_a_lock() -> int:
    """Database sessions of the test database waiting for a lock another one holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (count,) = cursor.fetchone()
    return int(count)


def test_two_overlapping_evaluations_raise_and_mail_one_event(
    committed_overdue_request: PartnerRequest,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    eager_tasks: None,
) -> None:
    # given a committed overdue request in alpha
    request = committed_overdue_request
    now = timezone.now()
    results: dict[str, int] = {}
    failures: list[BaseException] = []
    first_has_raised = threading.Event()
    first_may_commit = threading.Event()

    def evaluate(name: str, *, hold: bool) -> None:
        try:
            if not hold:
                first_has_raised.wait(10)
            with tenant_context(tenant_a), transaction.atomic():
                results[name] = services.sla_clocks_evaluate(now=now)
                if hold:
                    first_has_raised.set()
                    first_may_commit.wait(10)
        except BaseException as failure:  # reported by the test below
            failures.append(failure)
        finally:
            connection.close()

    # when two evaluations overlap: the first has recorded the breach but not committed
    # it when the second evaluates the same clock
    first = threading.Thread(target=evaluate, args=("first",), kwargs={"hold": True})
    second = threading.Thread(target=evaluate, args=("second",), kwargs={"hold": False})
    first.start()
    second.start()
    wait_for(waiting_on_a_lock, timeout=10)  # the second waits on the first's rows
    first_may_commit.set()
    first.join(15)
    second.join(15)

    # then the first raised the breach, the second found it raised, and one mail went out
    assert not failures, failures
    assert results == {"first": 1, "second": 0}
    with in_tenant(tenant_a):
        ((kind, notified_at),) = SlaEvent.objects.filter(request_id=request.pk).values_list(
            "kind", "notified_at"
        )
        assert kind == EventKind.BREACHED
        assert notified_at is not None
        assert Notification.objects.filter(event__request_id=request.pk).count() == 1
    assert [message.subject for message in mail.outbox] == [f"SLA breached: {request.partner.name}"]
