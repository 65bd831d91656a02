"""Seconds to provision one tenant, with 10 and with 200 tenants already there.

Run:  .venv/bin/python bench/provision.py [--counts 10,200] [--samples 7] [--cold]
          [--database-url postgres://...] [--keep-database] [--admin]

What it does
------------
1. Creates its own database ``prm_bench_provision_<time>_<pid>`` on the server named by
   ``--database-url`` (default: $DATABASE_URL; only the server and credentials are
   used, never that database), runs ``migrate_schemas --shared`` in it and creates
   the template tenant and the public tenant, as ``manage.py migrate_all`` does.
2. Checks fidelity once: provisions a tenant through the product and one through
   django-tenants' clone (below) and compares both with the template (tables,
   columns, constraints, indexes with their names, sequences, row counts).
3. For each count N (ascending) it tops the database up to N background tenants,
   then times ``--samples`` provisionings of one more tenant for each path below.
   Every measured tenant is deleted again (untimed), so each sample sees exactly N
   tenants, and the paths take turns sample by sample so that drift hits them
   equally. A path that has used up ``--cell-budget`` seconds at a count stops
   after 3 samples there (django-tenants' clone can take tens of seconds per tenant).
4. Prints min / median / max seconds per tenant, where the time went, the ratios
   of each path to migrate and N_max / N_min (flatness), and the target (the
   product at most 1 s per tenant and flat in tenant count), and drops the
   database. The exit status is 0 whenever the bench itself ran; the verdict is in
   the output. Raw figures go to bench/results/provision-latest.json.

The paths
---------
product
    ``prm.tenancy.services.tenant_provision(slug=..., name=...)`` exactly as
    shipped (the call behind ``manage.py provision_tenant``): ``Tenant.create_schema``
    copies ``TENANT_BASE_SCHEMA`` with ``prm.tenancy.schema_copy`` and runs no
    ``migrate_schemas --fake`` (the copy brings django_migrations; checked after
    every sample). Should the copy raise ``Unsupported``, the product falls back to
    django-tenants' clone; a sample that did is flagged in the output.
django-tenants clone
    The baseline the product replaced: the same call with ``Tenant.create_schema``
    routed, inside this process only, to django-tenants' ``TenantMixin.create_schema``,
    which clones the template with its PL/pgSQL ``clone_schema`` function (DATA mode)
    and then runs ``migrate_schemas --fake`` for the new schema.
migrate
    The same call under ``override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False)``,
    django-tenants' own switch between the two strategies, which ``Tenant.create_schema``
    honours too: ``CREATE SCHEMA`` and every tenant migration for real, as a project
    without a template does. Everything else (validation, domain row, cache
    invalidation) is identical in all three rows, so their differences are the schema
    strategy alone. (Deleting the template instead would make ``tenant_provision``
    rebuild it on the next call: not an equivalent.)

Background tenants
------------------
They are provisioned with ``tenant_provision`` as shipped, like any tenant.

Catalog statistics
------------------
The cost of ``clone_schema`` depends on the plans chosen for its catalog queries,
hence on the statistics of the system catalogs, which grow by some 250 rows per
tenant. By default the bench runs ``ANALYZE`` every 25 background tenants and
before measuring: the state autovacuum keeps a production database in. ``--cold``
never analyzes, as on a server running with ``autovacuum = off`` (the development
server here). The header shows the server's setting and the machine's load.

Where the time goes
-------------------
``schema_copy`` as ``Tenant.create_schema`` calls it, django-tenants'
``CloneSchema.clone_schema`` and the ``call_command`` through which django-tenants
runs ``migrate_schemas`` are wrapped with timers (timing only): "schema SQL" is the
copy (product) or the clone (django-tenants clone), "migrate cmd" is
``migrate_schemas`` (fake after django-tenants' clone, real on the migrate path,
none in the product), "other" is the rest of ``tenant_provision``.

Tenants get no admin user by default: its password hash (PBKDF2, slow on purpose)
is a constant that says nothing about schema strategies; ``--admin`` adds it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

if TYPE_CHECKING:
    from prm.tenancy.models import Tenant

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0
# The top count may cost this much more per provisioning than the lowest and still
# be called flat: well above the run-to-run noise of a quiet machine.
FLAT_RATIO = 1.25
ANALYZE_EVERY = 25
MIN_SAMPLES = 3
# Only ever set on throw-away tenants in a database the bench drops.
BENCH_PASSWORD = "a long bench passphrase 42"  # noqa: S105


# --- the paths ----------------------------------------------------------------------


class Steps:
    """Timers around the expensive steps of creating a tenant's schema: the product's
    schema_copy, django-tenants' clone_schema and its migrate_schemas command (timing
    only; each wrapper calls the shipped function)."""

    def __init__(self) -> None:
        self.schema_sql = 0.0
        self.migrate_cmd = 0.0
        self.clones = 0

    def reset(self) -> None:
        self.schema_sql = 0.0
        self.migrate_cmd = 0.0
        self.clones = 0

    def install(self) -> None:
        import django_tenants.models as tenant_models
        from django_tenants.clone import CloneSchema

        import prm.tenancy.models as product_models

        steps = self
        shipped_schema_copy = product_models.schema_copy
        shipped_clone_schema = CloneSchema.clone_schema
        shipped_call_command = tenant_models.call_command

        def schema_copy(*, source: str, target: str) -> None:
            started = time.perf_counter()
            try:
                shipped_schema_copy(source=source, target=target)
            finally:
                steps.schema_sql += time.perf_counter() - started

        def clone_schema(self, *args, **kwargs):
            steps.clones += 1
            started = time.perf_counter()
            try:
                return shipped_clone_schema(self, *args, **kwargs)
            finally:
                steps.schema_sql += time.perf_counter() - started

        def call_command(*args, **kwargs):
            started = time.perf_counter()
            try:
                return shipped_call_command(*args, **kwargs)
            finally:
                steps.migrate_cmd += time.perf_counter() - started

        product_models.schema_copy = schema_copy
        CloneSchema.clone_schema = clone_schema
        tenant_models.call_command = call_command


STEPS = Steps()


@contextlib.contextmanager
def django_tenants_clone() -> Iterator[None]:
    from unittest import mock

    from django_tenants.models import TenantMixin

    from prm.tenancy.models import Tenant

    with mock.patch.object(Tenant, "create_schema", TenantMixin.create_schema):
        yield


@contextlib.contextmanager
def migrate_per_tenant() -> Iterator[None]:
    from django.test import override_settings

    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
        yield


PRODUCT = "product"
BASELINE = "django-tenants clone"
MIGRATE = "migrate"
PATHS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    PRODUCT: contextlib.nullcontext,
    BASELINE: django_tenants_clone,
    MIGRATE: migrate_per_tenant,
}


# --- measurement ----------------------------------------------------------------------


@dataclass
class Sample:
    total: float
    schema_sql: float
    migrate_cmd: float
    # The product path went through django-tenants' clone_schema: schema_copy raised
    # Unsupported and Tenant.create_schema fell back.
    fell_back: bool = False

    @property
    def other(self) -> float:
        return self.total - self.schema_sql - self.migrate_cmd


@dataclass
class Cell:
    path: str
    count: int
    samples: list[Sample] = field(default_factory=list)

    def column(self, name: str) -> list[float]:
        return [getattr(sample, name) for sample in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.column("total"))

    @property
    def fallbacks(self) -> int:
        return sum(sample.fell_back for sample in self.samples)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "existing_tenants": self.count,
            "seconds": self.column("total"),
            "schema_sql": self.column("schema_sql"),
            "migrate_cmd": self.column("migrate_cmd"),
            "fell_back_to_clone_schema": self.column("fell_back"),
        }


def applied_migrations(schema: str) -> set[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


class Bench:
    def __init__(self, *, samples: int, cell_budget: float, admin: bool, cold: bool) -> None:
        from django.conf import settings

        from prm.tenancy import services

        self.services = services
        self.template = settings.TENANT_BASE_SCHEMA
        self.samples = samples
        self.cell_budget = cell_budget
        self.admin = admin
        self.cold = cold
        self.background = 0
        self.serial = 0
        STEPS.install()

    def tenant_count(self) -> int:
        from prm.tenancy.selectors import tenant_list_served

        return tenant_list_served().count()

    def analyze(self) -> None:
        if self.cold:
            return
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def provision(self, slug: str) -> Tenant:
        from prm.tenancy.services import TenantAdmin

        admin = TenantAdmin(email=f"admin@{slug}.example", password=BENCH_PASSWORD)
        return self.services.tenant_provision(
            slug=slug, name=f"Bench {slug}", admin=admin if self.admin else None
        )

    def fidelity(self) -> list[str]:
        """Compare a tenant of the product and one of django-tenants' clone with the
        template. The clone is expected to differ: it gives UNIQUE constraints
        PostgreSQL's default names."""
        from prm.tenancy import schema_copy

        lines = []
        template = schema_copy.schema_fingerprint(self.template)
        size = ", ".join(f"{len(items)} {key}" for key, items in template.items())
        lines.append(f"template schema: {size}")
        for path in [PRODUCT, BASELINE]:
            STEPS.reset()
            with PATHS[path]():
                tenant = self.provision(f"fidelity-{len(lines)}")
            fell_back = path == PRODUCT and STEPS.clones > 0
            differences = schema_copy.fingerprint_differences(
                template,
                schema_copy.schema_fingerprint(tenant.schema_name),
            )
            self.services.tenant_delete(tenant=tenant)
            if not differences:
                verdict = "identical to the template"
            else:
                kinds = sorted({difference.split(":")[0] for difference in differences})
                verdict = (
                    f"DIFFERS from the template ({len(differences)} catalog rows on either "
                    f"side, in {', '.join(kinds)}), e.g.:"
                )
            if fell_back:
                verdict += " [FELL BACK to clone_schema: schema_copy raised Unsupported]"
            lines.append(f"{path}: {verdict}")
            lines += [f"    {difference[:150]}" for difference in differences[:4]]
        return lines

    def top_up(self, count: int) -> float:
        started = time.perf_counter()
        while self.background < count:
            self.background += 1
            self.provision(f"bg-{self.background:04d}")
            if self.background % ANALYZE_EVERY == 0:
                self.analyze()
        self.analyze()
        return time.perf_counter() - started

    def provision_once(self, path: str, count: int) -> Sample:
        self.serial += 1
        slug = f"m{count}-{self.serial:04d}"
        with PATHS[path]():
            STEPS.reset()
            started = time.perf_counter()
            tenant = self.provision(slug)
            total = time.perf_counter() - started
            sample = Sample(
                total,
                STEPS.schema_sql,
                STEPS.migrate_cmd,
                fell_back=path == PRODUCT and STEPS.clones > 0,
            )
        # The product runs no fake migrate: the copy must bring django_migrations.
        if applied_migrations(tenant.schema_name) != applied_migrations(self.template):
            raise AssertionError(f"{path}: {slug} has other migrations than the template")
        self.services.tenant_delete(tenant=tenant)
        return sample

    def measure(self, count: int) -> list[Cell]:
        assert self.tenant_count() == count, (self.tenant_count(), count)
        cells = {path: Cell(path=path, count=count) for path in PATHS}
        spent = dict.fromkeys(PATHS, 0.0)
        for _ in range(self.samples):
            for path in PATHS:
                cell = cells[path]
                if len(cell.samples) >= MIN_SAMPLES and spent[path] > self.cell_budget:
                    continue
                cell.samples.append(self.provision_once(path, count))
                spent[path] += cell.samples[-1].total
                print(".", end="", flush=True)
        print(flush=True)
        return list(cells.values())


# --- report -------------------------------------------------------------------------


def report(cells: list[Cell], counts: list[int], cold: bool) -> list[str]:
    header = (
        f"{'path':<22} {'existing':>8} {'n':>3} {'min':>7} {'median':>7} {'max':>7}"
        f" | {'schema SQL':>10} {'migrate cmd':>11} {'other':>7}  (s; medians)"
    )
    lines = [header, "-" * len(header)]
    for cell in cells:
        totals = cell.column("total")
        lines.append(
            f"{cell.path:<22} {cell.count:>8} {len(totals):>3} {min(totals):7.3f} "
            f"{statistics.median(totals):7.3f} {max(totals):7.3f} | "
            f"{statistics.median(cell.column('schema_sql')):>10.3f} "
            f"{statistics.median(cell.column('migrate_cmd')):>11.3f} "
            f"{statistics.median(cell.column('other')):>7.3f}"
        )
        if cell.fallbacks:
            lines.append(
                f"    {cell.fallbacks} of these samples FELL BACK to django-tenants' "
                "clone_schema (schema_copy raised Unsupported)"
            )
    lines.append("")

    medians = {(cell.path, cell.count): cell.median for cell in cells}
    lines.append("ratios of medians:")
    for count in counts:
        for this, that in [(PRODUCT, MIGRATE), (BASELINE, MIGRATE), (PRODUCT, BASELINE)]:
            if (this, count) in medians and (that, count) in medians:
                ratio = medians[(this, count)] / medians[(that, count)]
                label = f"{this} / {that}"
                lines.append(f"  {label:<32} with {count:>4} tenants: {ratio:6.2f}")
    low, high = counts[0], counts[-1]
    flatness: dict[str, float] = {}
    if low != high:
        for path in PATHS:
            if (path, low) in medians and (path, high) in medians:
                flatness[path] = medians[(path, high)] / medians[(path, low)]
                lines.append(f"  {high}/{low} (flatness) {path:<22}: {flatness[path]:6.2f}")
    lines.append("")
    state = "catalogs never analyzed (--cold)" if cold else "catalogs analyzed"
    lines.append(
        f"target: product <= {TARGET_SECONDS:.1f} s per tenant (median at every count) "
        f"and flat ({high}/{low} <= {FLAT_RATIO})"
    )
    for path in [PRODUCT, BASELINE]:
        if (path, low) not in medians:
            continue
        worst = max(medians[(path, count)] for count in counts)
        speed = "MET" if worst <= TARGET_SECONDS else "MISSED"
        verdict = f"speed {speed} (worst median {worst:.3f} s)"
        if path in flatness:
            flat = "MET" if flatness[path] <= FLAT_RATIO else "MISSED"
            verdict += f", flatness {flat} ({high}/{low} = {flatness[path]:.2f})"
        label = path if path == PRODUCT else f"{path} (the replaced baseline, for comparison)"
        lines.append(f"  {label}, {state}: {verdict}")
    return lines


# --- main ---------------------------------------------------------------------------


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="10,200", help="existing tenant counts")
    parser.add_argument("--samples", type=int, default=7, help="provisionings per path and count")
    parser.add_argument(
        "--cell-budget",
        type=float,
        default=60.0,
        help="seconds per path and count after which it stops at 3 samples",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="server and credentials to use; the bench creates and drops its own database",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument("--admin", action="store_true", help="provision an admin user too")
    parser.add_argument("--cold", action="store_true", help="never ANALYZE (see above)")
    parser.add_argument(
        "--json", type=Path, default=REPO / "bench" / "results" / "provision-latest.json"
    )
    options = parser.parse_args()
    counts = sorted({int(part) for part in options.counts.split(",") if part.strip()})

    name = benchlib.database_create(options.database_url, "provision")
    print(f"database {name} created", flush=True)
    os.environ["DATABASE_URL"] = benchlib.server_url(options.database_url, name)
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    load_before = load()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        bench = Bench(
            samples=options.samples,
            cell_budget=options.cell_budget,
            admin=options.admin,
            cold=options.cold,
        )
        bench.services.template_ensure()
        bench.services.public_tenant_ensure()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), current_setting('autovacuum')"
            )
            server_version, autovacuum = cursor.fetchone()

        fidelity = bench.fidelity()
        print("\n".join(fidelity), flush=True)
        cells: list[Cell] = []
        fills = []
        for count in counts:
            took = bench.top_up(count)
            fills.append(f"{count} in {took:.0f} s")
            print(f"{count} background tenants ready ({took:.1f} s to add them)", flush=True)
            cells += bench.measure(count)

        environment: dict[str, object] = {
            "when": datetime.datetime.now().isoformat(timespec="seconds"),
            "postgresql": f"{server_version}, autovacuum={autovacuum}",
            "catalog statistics": (
                "never analyzed (--cold)"
                if options.cold
                else f"ANALYZE every {ANALYZE_EVERY} background tenants and before measuring"
            ),
            "python": f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs",
            "load average (1, 5, 15 min)": f"{load_before} before, {load()} after",
            "migrations in the graph": len(MigrationLoader(None).disk_migrations),
            "background tenants": "tenant_provision as shipped; " + ", ".join(fills),
            "samples per row": f"up to {options.samples} (at least {MIN_SAMPLES}; "
            f"{options.cell_budget:.0f} s budget per row)",
            "admin user": "yes" if options.admin else "no",
            "bench run time": f"{time.perf_counter() - started:.0f} s",
        }
        lines = ["", "prm bench/provision.py: seconds to provision ONE tenant"]
        lines += [f"  {key}: {value}" for key, value in environment.items()]
        lines += ["", "fidelity of the new schema:"] + [f"  {line}" for line in fidelity] + [""]
        lines += report(cells, counts, options.cold)
        print("\n".join(lines))
        options.json.parent.mkdir(parents=True, exist_ok=True)
        raw = {
            "environment": environment,
            "fidelity": fidelity,
            "cells": [cell.as_dict() for cell in cells],
        }
        options.json.write_text(json.dumps(raw, indent=2))
        print(f"\nraw figures: {options.json}")
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if options.keep_database:
            print(f"database {name} kept")
        else:
            benchlib.database_drop(options.database_url, name)
            print(f"database {name} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
