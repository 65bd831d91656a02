"""Data: each job's error list (a JSON array on the job) becomes ImportJobError rows."""

from typing import Any

from django.db import migrations


def errors_to_rows(apps: Any, schema_editor: Any) -> None:
    ImportJob = apps.get_model("partners", "ImportJob")
    ImportJobError = apps.get_model("partners", "ImportJobError")
    for job in ImportJob.objects.exclude(errors=[]).only("pk", "errors").iterator():
        ImportJobError.objects.bulk_create(
            [
                ImportJobError(
                    job_id=job.pk,
                    row=entry["row"],
                    ref=entry.get("ref", ""),
                    errors=entry.get("errors", {}),
                )
                for entry in job.errors
            ],
            batch_size=1000,
        )


def rows_to_errors(apps: Any, schema_editor: Any) -> None:
    ImportJob = apps.get_model("partners", "ImportJob")
    ImportJobError = apps.get_model("partners", "ImportJobError")
    job_ids = ImportJobError.objects.values_list("job_id", flat=True).distinct()
    for job in ImportJob.objects.filter(pk__in=job_ids).only("pk").iterator():
        job.errors = [
            {"row": row, "ref": ref, "errors": errors}
            for row, ref, errors in ImportJobError.objects.filter(job_id=job.pk)
            .order_by("row", "id")
            .values_list("row", "ref", "errors")
        ]
        job.save(update_fields=["errors"])


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_importjob_attempts_and_error_rows"),
    ]

    operations = [migrations.RunPython(errors_to_rows, rows_to_errors)]
