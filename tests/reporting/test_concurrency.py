"""Ingestion and folding at the same time, on separate database connections: a row
that commits while its day is being folded is folded again, never lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from reporting import rollups
from reporting.ingest import ingest
from tests.conftest import tenant_schema
from tests.reporting.activity import order, pending_count, rollup_rows, rollups_after_recompute
from tests.reporting.conftest import CommittedAlpha
from tests.reporting.workers import side_connection
from tests.waiting import wait_for


class InThread(threading.Thread):
    """Runs `work` inside `tenant` on a connection of its own (Django's are per thread),
    keeping its result or error."""

    def __init__(self, tenant: Any, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.tenant, self.work = tenant, work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with tenant_schema(self.tenant):
                self.result = self.work()
        except BaseException as error:
            self.error = error
        finally:
            connection.close()


def waiting_on_a_lock(query: str) -> bool:
    """Whether a session running a statement that contains `query` waits on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE %s",
            [f"%{query}%"],
        )
        return bool(cursor.fetchone()[0])


def test_a_row_committed_while_its_day_is_folded_is_folded_again(
    committed_alpha: CommittedAlpha, tenant_a: Any
) -> None:
    catalogue = committed_alpha.catalogue
    acme, acme_id = catalogue.ref("acme"), catalogue.id("acme")
    first = order(
        "race",
        acme,
        amount="100.00",
        ordered_at="2026-02-01T09:00:00Z",
        closed_at="2026-02-01T10:00:00Z",
    )

    # given a fold of the order's day that will be held up half-way, after it read the
    # raw rows and before it commits: another session holds the unique key of the rollup
    # row it writes. The key is taken before the order arrives, so a fold that the tests'
    # live worker may run (ingestion queues one; the worker stays up once a test needed
    # it) is held up the same way as the fold this test starts.
    blocker = side_connection()
    try:
        with blocker.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{tenant_a.schema_name}"')
            columns = ", ".join(rollups.COMPONENTS)
            zeros = ", ".join("0" for _ in rollups.COMPONENTS)
            cursor.execute(
                f"INSERT INTO reporting_dailyrollup (partner_id, day, {columns}) "  # noqa: S608 (constant names)
                f"VALUES (%s, '2026-02-01', {zeros})",
                [acme_id],
            )
        with tenant_schema(tenant_a):
            ingest(kind="orders", rows=[first])
            assert pending_count() == 1
        folding = InThread(tenant_a, rollups.fold_pending)
        folding.start()
        wait_for(lambda: waiting_on_a_lock("INSERT INTO reporting_dailyrollup"))

        # when the order changes, and that ingestion finishes (or waits) meanwhile
        changed = {**first, "amount": "300.00"}
        ingesting = InThread(tenant_a, lambda: ingest(kind="orders", rows=[changed]))
        ingesting.start()
        ingesting.join(timeout=1.5)
    finally:
        blocker.rollback()
        blocker.close()
    folding.join(timeout=20)
    ingesting.join(timeout=20)
    assert not folding.is_alive()
    assert not ingesting.is_alive()
    assert folding.error is None, folding.error
    assert ingesting.error is None, ingesting.error
    assert ingesting.result.updated == 1

    # then the day is pending again (or already right), and once the outbox is folded
    # the rollup shows the last amount, as a rebuild from raw rows does
    with tenant_schema(tenant_a):
        # (a worker's fold still committing holds its keys; fold_all skips those)
        wait_for(lambda: rollups.fold_all() >= 0 and pending_count() == 0)
        folded = rollup_rows([acme_id])
        assert folded == rollups_after_recompute([acme_id])
    (row,) = folded.values()
    assert row[rollups.COMPONENTS.index("revenue")] == 300
