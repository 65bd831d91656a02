from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.dateparse import parse_date
from tqdm import tqdm

from prm.tenancy.clock import tenant_today
from prm.tenancy.commands import TenantCommand
from prm.tenancy.models import Tenant
from reporting import rollups


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _parse_since(value: str) -> date:
    try:
        since = parse_date(value)
    except ValueError:
        since = None
    if since is None:
        raise CommandError(f"--since takes a date like 2026-01-31, not “{value}”.")
    return since


class Command(TenantCommand):
    help = "Rebuild a tenant's daily rollups from its raw activity, a month at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="first day to rebuild (default: all)"
        )

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        since = _parse_since(options["since"]) if options["since"] else None
        first = rollups.activity_start()
        if first is None:
            self.stdout.write(f"{tenant.slug} has no activity; nothing to rebuild.")
            return
        start = since or first.replace(day=1)
        today = tenant_today()
        chunks: list[tuple[date, date | None]] = []
        current = start
        while current <= today:
            chunks.append((current, _next_month(current)))
            current = _next_month(current)
        # Days after today (future-dated activity) are rebuilt in a last chunk.
        chunks.append((current, None))
        rollups.fold_all()  # keys outside the rebuilt range are folded as usual
        written = 0
        for chunk_start, chunk_end in tqdm(chunks, unit="month", disable=not self.stdout.isatty()):
            written += rollups.recompute(since=chunk_start, until=chunk_end)
        self.stdout.write(f"Rebuilt {written} rollup rows of {tenant.slug} from {start}.")
