"""Span rollups (days, weeks, months) of the daily rollups already there. The SQL is
that of reporting.rollups at the time of writing, frozen here."""

from typing import Any

from django.db import migrations

COMPONENTS = (
    "orders_opened",
    "orders_won",
    "orders_lost",
    "revenue",
    "cost",
    "items_sold",
    "items_online_store",
    "items_display_shelf",
    "new_accounts",
    "calls_made",
    "calls_received",
    "call_seconds",
    "channel_calls",
    "contacts_generated",
    "contacts_converted",
)
SPAN_START = {
    "day": "d.day",
    "week": "date_trunc('week', d.day)::date",
    "month": "date_trunc('month', d.day)::date",
}


def backfill(apps: Any, schema_editor: Any) -> None:
    columns = ", ".join(COMPONENTS)
    sums = ", ".join(f"sum(d.{c})" for c in COMPONENTS)
    with schema_editor.connection.cursor() as cursor:
        for span, start in SPAN_START.items():
            insert = (
                f"INSERT INTO reporting_spanrollup (partner_id, span, start, {columns}, "  # noqa: S608 (this module's names only)
                "first_order_at, last_order_at, inventory_listed) "
                f"SELECT d.partner_id, %s, {start}, {sums}, "
                "min(d.first_order_at), max(d.last_order_at), "
                "(array_agg(d.inventory_listed ORDER BY d.day DESC) "
                "FILTER (WHERE d.inventory_listed IS NOT NULL))[1] "
                f"FROM reporting_dailyrollup d GROUP BY d.partner_id, {start}"
            )
            cursor.execute(insert, [span])


def remove(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_spanrollup")


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_spanrollup"),
    ]

    operations = [migrations.RunPython(backfill, remove)]
