import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0005_importjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="sheet",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="ImportJobError",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "row",
                    models.PositiveIntegerField(verbose_name="row number (the header is row 1)"),
                ),
                ("ref", models.CharField(blank=True, max_length=255)),
                ("errors", models.JSONField(default=dict)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="error_rows",
                        to="partners.importjob",
                    ),
                ),
            ],
            options={
                "ordering": ["job", "row", "id"],
                "indexes": [
                    models.Index(fields=["job", "row"], name="partners_importerror_job_row")
                ],
            },
        ),
    ]
