"""How the partner import's check (the dry run) grows with the file: seconds for files
of 5,000, 20,000 and 40,000 rows, and the time per row of each against the smallest.

Run:  .venv/bin/python bench/imports.py [--sizes 5000,20000,40000] [--bad-every 1]
          [--error-kind type|service] [--database-url postgres://...]
          [--redis-url redis://...] [--keep-database]

It creates its own database and tenant (benchlib), a manager, and for each size a
CSV of that many partners of which every `--bad-every`-th row has an error, so that
the error list grows with the file, the case that was quadratic when each 100-row
chunk rewrote the whole list (issue #13: 5k rows 1.5 s, 20k 14 s, 40k 60 s). With
`--error-kind type` (the default) the error is a three-letter country, which the
serializer refuses; since issue 16 the services then check the row's other fields
too (every error of a row in one check), so such a row costs what any checked row
costs; with `service` it is a one-digit phone number, which only partner_create
refuses, after its model checks and their queries (about 7 ms a row here). It times
import_job_validate in this process, checks the counts, and prints seconds, rows per
second and the ratio of seconds per row to the smallest file's (linear: about 1.0).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib


def partners_csv(rows: int, bad_every: int, error_kind: str) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["ref", "name", "domain", "phone", "country"])
    for number in range(rows):
        bad = bad_every and number % bad_every == 0
        writer.writerow(
            [
                f"bench-{rows}-{number}",
                f"Bench {number} Ltd",
                f"bench{rows}x{number}.example",
                "1" if bad and error_kind == "service" else "+44 20 7946 0958",
                "GBR" if bad and error_kind == "type" else "GB",
            ]
        )
    return output.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,20000,40000")
    parser.add_argument("--bad-every", type=int, default=1, help="every Nth row bad (0: none)")
    parser.add_argument("--error-kind", choices=["type", "service"], default="type")
    benchlib.add_common_arguments(parser)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    started = time.perf_counter()
    with benchlib.bench_database(options, "imports"):
        tenant = benchlib.tenant_setup()
        from django_tenants.utils import tenant_context

        from partners.imports import import_job_create, import_job_validate
        from partners.models import ImportState
        from prm.accounts.models import Role
        from prm.accounts.services import user_create

        figures: dict[str, Any] = {"sizes": {}}
        with tenant_context(tenant):
            manager = user_create(
                email="bench.importer@example.com",
                password=None,  # never signs in
                role=Role.MANAGER,
            )
            for size in sizes:
                content = partners_csv(size, options.bad_every, options.error_kind)
                job = import_job_create(
                    actor=manager, filename=f"bench-{size}.csv", content=content
                )
                clock = time.perf_counter()
                checked = import_job_validate(job_id=job.pk)
                seconds = time.perf_counter() - clock
                assert checked is not None
                assert checked.state == ImportState.VALIDATED, checked.message
                bad = len(range(0, size, options.bad_every)) if options.bad_every else 0
                assert checked.error_count == bad, (checked.error_count, bad)
                figures["sizes"][size] = {"seconds": seconds, "errors": bad}
                print(f"checked {size} rows ({bad} with errors) in {seconds:.2f} s", flush=True)
        environment = benchlib.environment_lines()  # before the database is dropped

    print()
    print(
        f"prm bench/imports.py: the import's check, every {options.bad_every}th row bad "
        f"({options.error_kind} errors)"
    )
    for line in environment:
        print(f"  {line}")
    print()
    print(f"{'rows':>8} {'errors':>8} {'seconds':>9} {'rows/s':>9} {'s/row vs smallest':>18}")
    smallest = sizes[0]
    base = figures["sizes"][smallest]["seconds"] / smallest
    for size in sizes:
        entry = figures["sizes"][size]
        per_row = entry["seconds"] / size
        entry["ratio"] = per_row / base
        print(
            f"{size:>8} {entry['errors']:>8} {entry['seconds']:>9.2f} "
            f"{size / entry['seconds']:>9.0f} {entry['ratio']:>18.2f}"
        )
    print()
    print("before (issue #13, each chunk rewrote the error list): 5k 1.5 s, 20k 14 s, 40k 60 s")
    print("  = 0.30, 0.70 and 1.50 ms a row: 1.0, 2.3 and 5.0 times the smallest's")
    print("  (bench/README.md has this bench run on that code, 49cc99a)")
    benchlib.write_results("imports", figures)
    print(f"\nbench run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
