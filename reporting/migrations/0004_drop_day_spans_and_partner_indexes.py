"""Days are no longer kept as span rollups: the metrics read a period's loose days
from the daily rollups, of which the day spans were copies. The rollups' own partner
indexes go too: their (partner, day) and (partner, span, start) keys serve the same
lookups, and every rollup write paid for the extra index."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

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


def drop_days(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_spanrollup WHERE span = 'day'")


def copy_days(apps: Any, schema_editor: Any) -> None:
    columns = ", ".join(COMPONENTS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO reporting_spanrollup (partner_id, span, start, {columns}, "  # noqa: S608 (this module's names only)
            "first_order_at, last_order_at, inventory_listed) "
            f"SELECT partner_id, 'day', day, {columns}, "
            "first_order_at, last_order_at, inventory_listed FROM reporting_dailyrollup"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0005_importjob"),
        ("reporting", "0003_spanrollup_backfill"),
    ]

    operations = [
        migrations.RunPython(drop_days, copy_days),
        migrations.AlterField(
            model_name="dailyrollup",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="partners.partner",
            ),
        ),
        migrations.AlterField(
            model_name="spanrollup",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="partners.partner",
            ),
        ),
    ]
