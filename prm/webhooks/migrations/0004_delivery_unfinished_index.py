"""The deliveries still to be made, indexed for beat's sweep."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_attempt_coarse_errors")]

    operations = [
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("state__in", ["pending", "retrying"])),
                fields=["next_attempt_at", "created_at"],
                name="webhooks_delivery_unfinished",
            ),
        ),
    ]
