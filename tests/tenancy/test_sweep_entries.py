"""Beat's sweeps of work that could not be queued (the broker was down) reach every
served tenant, often enough: each entry goes through the dispatcher, which queues the
sweep once per tenant."""

from typing import Any
from unittest import mock

import pytest

from partners.tasks import sweep_imports
from prm.tenancy.tasks import dispatch
from prm.webhooks.tasks import sweep_deliveries
from slas.tasks import sweep_event_mails

SWEEPS = {
    "webhooks-delivery-sweep": sweep_deliveries,
    "partners-import-sweep": sweep_imports,
    "slas-event-mail-sweep": sweep_event_mails,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("entry_name", "sweep"), SWEEPS.items(), ids=SWEEPS.keys())
def test_beat_runs_the_sweep_in_every_served_tenant(
    entry_name: str, sweep: Any, settings: Any
) -> None:
    # given beat's entry
    entry = settings.CELERY_BEAT_SCHEDULE[entry_name]
    assert entry["task"] == dispatch.name
    assert entry["schedule"] <= 60

    # when it fires as beat sends it: the dispatcher, in the public schema
    with mock.patch.object(sweep, "apply_async") as queued:
        tenants = dispatch(*entry["args"])

    # then the sweep is queued once in each served tenant
    assert tenants >= 2
    assert queued.call_count == tenants
