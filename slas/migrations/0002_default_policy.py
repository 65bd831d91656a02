"""Every tenant starts with a default policy (new tenants get it through the template)."""

from django.db import migrations

STANDARD = {
    "slug": "standard",
    "name": "Standard partner SLA",
    "description": "The terms every partner gets unless another policy is chosen.",
}


def create_default(apps, schema_editor):
    SlaPolicy = apps.get_model("slas", "SlaPolicy")
    if not SlaPolicy.objects.filter(is_default=True).exists():
        SlaPolicy.objects.update_or_create(
            slug=STANDARD["slug"], defaults={**STANDARD, "is_default": True}
        )


def remove_default(apps, schema_editor):
    SlaPolicy = apps.get_model("slas", "SlaPolicy")
    SlaPolicy.objects.filter(slug=STANDARD["slug"]).delete()


class Migration(migrations.Migration):
    dependencies = [("slas", "0001_policy")]

    operations = [migrations.RunPython(create_default, remove_default)]
