"""Policies that predate versioning get version 1; the seeded standard policy gets
the targets a new tenant starts from, if it has none yet."""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

STANDARD_TARGETS = {
    "first_response_hours": Decimal("4"),
    "resolution_hours": Decimal("24"),
    "lead_acceptance_hours": Decimal("8"),
    "min_monthly_won_orders": 1,
}
FIELDS = (
    "slug",
    "name",
    "description",
    "policies",
    "first_response_hours",
    "resolution_hours",
    "lead_acceptance_hours",
    "min_monthly_revenue",
    "min_monthly_won_orders",
    "min_monthly_calls",
    "uptime_percent",
    "time_zone",
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "holidays",
    "escalation_name",
    "escalation_email",
    "review_cadence",
    "is_default",
)


def snapshot(policy):
    data = {}
    for field in FIELDS:
        value = getattr(policy, field)
        if isinstance(value, Decimal):
            value = str(value)
        elif field.startswith("working_hours"):
            value = value.strftime("%H:%M")
        elif field == "holidays":
            value = [day.isoformat() for day in value]
        data[field] = value
    return data


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("slas", "SlaPolicy")
    SlaPolicyVersion = apps.get_model("slas", "SlaPolicyVersion")
    standard = SlaPolicy.objects.filter(slug="standard").first()
    if standard is not None and all(getattr(standard, f) is None for f in STANDARD_TARGETS):
        for field, value in STANDARD_TARGETS.items():
            setattr(standard, field, value)
        standard.policies = (
            "Partner requests are answered within the first-response target and resolved "
            "within the resolution target, counted in business hours (Monday to Friday, "
            "09:00 to 17:00). Leads are accepted or declined within the lead-acceptance "
            "target. Escalate to your channel manager when a target is at risk."
        )
        standard.save()
    for policy in SlaPolicy.objects.filter(versions__isnull=True):
        SlaPolicyVersion.objects.create(
            policy=policy,
            number=policy.version,
            data=snapshot(policy),
            source="migration",
            created_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("slas", "0003_targets_versions_requests")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
