"""Seconds to provision one tenant, with 10 and with 200 tenants already there.

Run:  .venv/bin/python bench/provision.py [--counts 10,200] [--samples 7] [--cold]
          [--database-url postgres://...] [--keep-database] [--no-candidate] [--admin]

What it does
------------
1. Creates its own database ``prm_bench_<time>_<pid>`` on the server named by
   ``--database-url`` (default: $DATABASE_URL; only the server and credentials are
   used, never that database), runs ``migrate_schemas --shared`` in it and creates
   the template tenant and the public tenant, as ``manage.py migrate_all`` does.
2. Checks fidelity once: provisions a tenant through the product's clone and one
   through the candidate copy (below) and compares both with the template (tables,
   columns, constraints, indexes with their names, sequences, row counts).
3. For each count N (ascending) it tops the database up to N background tenants,
   then times ``--samples`` provisionings of one more tenant for each path below.
   Every measured tenant is deleted again (untimed), so each sample sees exactly N
   tenants, and the paths take turns sample by sample so that drift hits them
   equally. A path that has used up ``--cell-budget`` seconds at a count stops
   after 3 samples there (the product's clone can take tens of seconds per tenant).
4. Prints min / median / max seconds per tenant, where the time went, the ratios
   clone / migrate and N_max / N_min (flatness) against the target (clone path at
   most 1 s per tenant and flat in tenant count), and drops the database. The exit
   status is 0 whenever the bench itself ran; the verdict is in the output. Raw
   figures go to bench/results/provision-latest.json.

The paths
---------
clone
    ``prm.tenancy.services.tenant_provision(slug=..., name=...)`` exactly as
    shipped (the call behind ``manage.py provision_tenant``): django-tenants
    clones ``TENANT_BASE_SCHEMA`` with its PL/pgSQL ``clone_schema`` function (DATA
    mode), then runs ``migrate_schemas --fake`` for the new schema.
migrate
    The same call under ``override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False)``,
    which is django-tenants' own switch between the two strategies: with it off,
    ``TenantMixin.create_schema`` runs ``CREATE SCHEMA`` and every tenant migration
    for real, as a project without a template does. Everything else (validation,
    domain row, cache invalidation) is identical, so the difference between the two
    rows is the schema strategy alone. (Deleting the template instead would make
    ``tenant_provision`` rebuild it on the next call: not an equivalent.)
CANDIDATE copy, CANDIDATE copy+nofake
    Not the product. The clone path with django-tenants' ``CloneSchema.clone_schema``
    swapped, inside this process only, for ``bench/schema_copy.py`` (the fix proposed
    in bench/README.md); "+nofake" also skips the ``migrate_schemas --fake`` that
    follows, which a copy of the template's django_migrations rows makes redundant
    (checked after each such sample). ``--no-candidate`` leaves both out.

Background tenants
------------------
They are provisioned with ``tenant_provision`` like any tenant, but through the
candidate copy (without the fake migrate) whenever the fidelity check found it
identical to the template: the product's clone needs tens of minutes for 200
tenants once its catalog queries go quadratic, and the schemas, names and rows are
the same either way. (The only catalog difference: the product's clone also copies
the owner's GRANTs.) If the check fails, the product's clone builds them.

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
``CloneSchema.clone_schema`` and the ``call_command`` through which django-tenants
runs ``migrate_schemas`` are wrapped with timers (timing only): "schema SQL" is the
clone (or the candidate copy), "migrate cmd" is ``migrate_schemas`` (fake after a
clone, real on the migrate path), "other" is the rest of ``tenant_provision``.

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
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from prm.tenancy.models import Tenant

REPO = Path(__file__).resolve().parent.parent
DATABASE_PREFIX = "prm_bench_"
TARGET_SECONDS = 1.0
# The top count may cost this much more per provisioning than the lowest and still
# be called flat: well above the run-to-run noise of a quiet machine.
FLAT_RATIO = 1.25
ANALYZE_EVERY = 25
MIN_SAMPLES = 3
# Only ever set on throw-away tenants in a database the bench drops.
BENCH_PASSWORD = "a long bench passphrase 42"  # noqa: S105


# --- database lifecycle (before Django is set up) -----------------------------------


def server_url(database_url: str, database: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def admin_connection(database_url: str):
    import psycopg2

    connection = psycopg2.connect(server_url(database_url, "postgres"))
    connection.autocommit = True
    return connection


def database_create(database_url: str) -> str:
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    name = f"{DATABASE_PREFIX}{stamp}_{os.getpid()}"
    connection = admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return name


def database_drop(database_url: str, name: str) -> None:
    assert name.startswith(DATABASE_PREFIX), name  # never anything but our own
    connection = admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


# --- the paths ----------------------------------------------------------------------


class Steps:
    """Timers around the two expensive steps of TenantMixin.create_schema, and the
    switches the CANDIDATE paths use to replace them (in this process only)."""

    def __init__(self) -> None:
        self.schema_sql = 0.0
        self.migrate_cmd = 0.0
        self.use_copy = False
        self.skip_fake_migrate = False

    def reset(self) -> None:
        self.schema_sql = 0.0
        self.migrate_cmd = 0.0

    def install(self) -> None:
        import django_tenants.models as tenant_models
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import schema_exists

        from prm.tenancy import schema_copy
        from prm.tenancy.db import tenant_connection

        steps = self
        shipped_clone_schema = CloneSchema.clone_schema
        shipped_call_command = tenant_models.call_command

        def clone_schema(self, base_schema_name, new_schema_name, *args, **kwargs):
            started = time.perf_counter()
            try:
                if not steps.use_copy:
                    return shipped_clone_schema(
                        self, base_schema_name, new_schema_name, *args, **kwargs
                    )
                tenant_connection().set_schema_to_public()
                if schema_exists(new_schema_name, case_sensitive=False):
                    raise RuntimeError(f'schema "{new_schema_name}" exists already')
                schema_copy.schema_copy(source=base_schema_name, target=new_schema_name)
                return None
            finally:
                steps.schema_sql += time.perf_counter() - started

        def call_command(*args, **kwargs):
            if steps.skip_fake_migrate and kwargs.get("fake"):
                return None
            started = time.perf_counter()
            try:
                return shipped_call_command(*args, **kwargs)
            finally:
                steps.migrate_cmd += time.perf_counter() - started

        CloneSchema.clone_schema = clone_schema
        tenant_models.call_command = call_command

    @contextlib.contextmanager
    def replaced(self, *, copy: bool, skip_fake_migrate: bool) -> Iterator[None]:
        self.use_copy, self.skip_fake_migrate = copy, skip_fake_migrate
        try:
            yield
        finally:
            self.use_copy = self.skip_fake_migrate = False


STEPS = Steps()


@contextlib.contextmanager
def migrate_per_tenant() -> Iterator[None]:
    from django.test import override_settings

    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
        yield


PRODUCT_PATHS = ["clone", "migrate"]
PATHS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "clone": contextlib.nullcontext,
    "migrate": migrate_per_tenant,
    "CANDIDATE copy": lambda: STEPS.replaced(copy=True, skip_fake_migrate=False),
    "CANDIDATE copy+nofake": lambda: STEPS.replaced(copy=True, skip_fake_migrate=True),
}


# --- measurement ----------------------------------------------------------------------


@dataclass
class Sample:
    total: float
    schema_sql: float
    migrate_cmd: float

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

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "existing_tenants": self.count,
            "seconds": self.column("total"),
            "schema_sql": self.column("schema_sql"),
            "migrate_cmd": self.column("migrate_cmd"),
        }


def applied_migrations(schema: str) -> set[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


class Bench:
    def __init__(
        self, *, samples: int, cell_budget: float, admin: bool, candidate: bool, cold: bool
    ) -> None:
        from django.conf import settings

        from prm.tenancy import services

        self.services = services
        self.template = settings.TENANT_BASE_SCHEMA
        self.samples = samples
        self.cell_budget = cell_budget
        self.admin = admin
        self.cold = cold
        self.paths = [name for name in PATHS if candidate or name in PRODUCT_PATHS]
        self.fill_with_copy = False
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
        """Compare a product clone and a candidate copy with the template."""
        from prm.tenancy import schema_copy

        lines = []
        template = schema_copy.schema_fingerprint(self.template)
        size = ", ".join(f"{len(items)} {key}" for key, items in template.items())
        lines.append(f"template schema: {size}")
        # The copy is checked even with --no-candidate: it builds the background.
        for path in ["clone", "CANDIDATE copy+nofake"]:
            with PATHS[path]():
                tenant = self.provision(f"fidelity-{len(lines)}")
            differences = schema_copy.fingerprint_differences(
                template,
                schema_copy.schema_fingerprint(tenant.schema_name),
            )
            self.services.tenant_delete(tenant=tenant)
            if path != "clone":
                self.fill_with_copy = not differences
            verdict = (
                "identical to the template"
                if not differences
                else f"DIFFERS from the template ({len(differences)} catalog rows on either "
                "side), e.g.:"
            )
            lines.append(f"{path}: {verdict}")
            lines += [f"    {difference[:150]}" for difference in differences[:4]]
        return lines

    def top_up(self, count: int) -> float:
        started = time.perf_counter()
        fill = (
            STEPS.replaced(copy=True, skip_fake_migrate=True)
            if self.fill_with_copy
            else contextlib.nullcontext()
        )
        with fill:
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
            sample = Sample(total, STEPS.schema_sql, STEPS.migrate_cmd)
        schema = tenant.schema_name
        if path.endswith("nofake") and applied_migrations(schema) != applied_migrations(
            self.template
        ):
            raise AssertionError(f"{path}: {slug} has other migrations than the template")
        self.services.tenant_delete(tenant=tenant)
        return sample

    def measure(self, count: int) -> list[Cell]:
        assert self.tenant_count() == count, (self.tenant_count(), count)
        cells = {path: Cell(path=path, count=count) for path in self.paths}
        spent = dict.fromkeys(self.paths, 0.0)
        for _ in range(self.samples):
            for path in self.paths:
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
    lines.append("")

    medians = {(cell.path, cell.count): cell.median for cell in cells}
    lines.append("ratios of medians:")
    for count in counts:
        for path in ["clone", "CANDIDATE copy", "CANDIDATE copy+nofake"]:
            this, migrate = medians.get((path, count)), medians.get(("migrate", count))
            if this and migrate:
                ratio = this / migrate
                lines.append(f"  {path:<22} / migrate with {count:>4} tenants: {ratio:6.2f}")
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
        f"target: clone path <= {TARGET_SECONDS:.1f} s per tenant (median at every count) "
        f"and flat ({high}/{low} <= {FLAT_RATIO})"
    )
    for path in ["clone", "CANDIDATE copy", "CANDIDATE copy+nofake"]:
        if (path, low) not in medians:
            continue
        worst = max(medians[(path, count)] for count in counts)
        speed = "MET" if worst <= TARGET_SECONDS else "MISSED"
        verdict = f"speed {speed} (worst median {worst:.3f} s)"
        if path in flatness:
            flat = "MET" if flatness[path] <= FLAT_RATIO else "MISSED"
            verdict += f", flatness {flat} ({high}/{low} = {flatness[path]:.2f})"
        label = "product" if path == "clone" else f"{path} (monkeypatched, not the product)"
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
    parser.add_argument("--no-candidate", action="store_true", help="leave out the CANDIDATE rows")
    parser.add_argument("--cold", action="store_true", help="never ANALYZE (see above)")
    parser.add_argument(
        "--json", type=Path, default=REPO / "bench" / "results" / "provision-latest.json"
    )
    options = parser.parse_args()
    counts = sorted({int(part) for part in options.counts.split(",") if part.strip()})

    name = database_create(options.database_url)
    print(f"database {name} created", flush=True)
    os.environ["DATABASE_URL"] = server_url(options.database_url, name)
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
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
            candidate=not options.no_candidate,
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
            "background tenants": (
                "CANDIDATE copy (identical schemas, checked)"
                if bench.fill_with_copy
                else "product clone"
            )
            + "; "
            + ", ".join(fills),
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
            database_drop(options.database_url, name)
            print(f"database {name} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
