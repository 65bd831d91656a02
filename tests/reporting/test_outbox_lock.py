"""An ingestion whose batch is written but not yet committed when a fold runs: the
fold must leave that day's key alone, or the day ends up wrong with nothing pending
(bench/lag.py found rows that never reached the rollups this way)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction

from reporting import rollups
from reporting.ingest import ingest
from tests.conftest import tenant_schema
from tests.reporting.activity import order, pending_count, rollup_rows, rollups_after_recompute
from tests.reporting.conftest import CommittedAlpha
from tests.reporting.test_concurrency import InThread
from tests.waiting import wait_for


def test_a_batch_written_before_a_fold_and_committed_after_it_is_not_lost(
    committed_alpha: CommittedAlpha, tenant_a: Any
) -> None:
    catalogue = committed_alpha.catalogue
    acme, acme_id = catalogue.ref("acme"), catalogue.id("acme")

    # given a day that is pending
    with tenant_schema(tenant_a):
        ingest(kind="orders", rows=[order("held-1", acme, amount="100.00")])
        assert pending_count() == 1

    # and an ingestion of another order of that day, written (key already in the
    # outbox) but not committed yet, as between a batch's statement and its commit,
    # or between the batches of an atomic upload
    written, release = threading.Event(), threading.Event()

    def ingest_and_hold() -> Any:
        with transaction.atomic():
            result = ingest(kind="orders", rows=[order("held-2", acme, amount="50.00")])
            written.set()
            release.wait(30)
        return result

    ingesting = InThread(tenant_a, ingest_and_hold)
    ingesting.start()
    try:
        assert written.wait(30)

        # when a fold runs meanwhile (it must not wait for the ingestion either)
        folding = InThread(tenant_a, rollups.fold_pending)
        folding.start()
        folding.join(timeout=20)
        assert not folding.is_alive()
        assert folding.error is None, folding.error
    finally:
        release.set()
    ingesting.join(timeout=20)
    assert not ingesting.is_alive()
    assert ingesting.error is None, ingesting.error

    # then once the outbox is folded the day counts both orders, as a rebuild does
    with tenant_schema(tenant_a):
        # (the suite's Celery worker, once started, may be folding the same key: its
        # uncommitted delete is skipped here, so fold until the outbox is empty)
        wait_for(lambda: rollups.fold_all() >= 0 and pending_count() == 0, timeout=20)
        folded = rollup_rows([acme_id])
        assert folded == rollups_after_recompute([acme_id])
    (row,) = folded.values()
    assert row[rollups.COMPONENTS.index("orders_won")] == 2
    assert row[rollups.COMPONENTS.index("revenue")] == 150
