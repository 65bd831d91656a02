from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0007_importjob_errors_to_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="importjob", name="errors"),
    ]
