"""An SLA event remembers when beat's sweep last queued its unsent e-mail, and the
unsent ones are indexed for that sweep."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("slas", "0004_first_versions")]

    operations = [
        migrations.AddField(
            model_name="slaevent",
            name="mail_requeued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="slaevent",
            index=models.Index(
                condition=models.Q(("notified_at__isnull", True)),
                fields=["occurred_at"],
                name="slas_event_mail_unsent",
            ),
        ),
    ]
