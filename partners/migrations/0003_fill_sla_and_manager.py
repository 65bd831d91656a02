"""Partners created before the registry had SLA policies and channel managers get the
tenant's default policy and its first administrator, and a first status record."""

from django.db import migrations


def fill(apps, schema_editor):
    Partner = apps.get_model("partners", "Partner")
    SlaPolicy = apps.get_model("slas", "SlaPolicy")
    StatusChange = apps.get_model("partners", "StatusChange")
    User = apps.get_model("accounts", "User")
    missing = Partner.objects.filter(sla__isnull=True) | Partner.objects.filter(
        channel_manager__isnull=True
    )
    if not missing.exists():
        return
    policy = SlaPolicy.objects.filter(is_default=True).first()
    manager = (
        User.objects.filter(role__in=["admin", "manager"], is_active=True)
        .order_by("created_at", "pk")
        .first()
    )
    if policy is None or manager is None:
        raise RuntimeError(
            "Partners exist but the tenant has no default SLA policy or no active "
            "administrator or manager to become their channel manager; create one first."
        )
    Partner.objects.filter(sla__isnull=True).update(sla=policy)
    Partner.objects.filter(channel_manager__isnull=True).update(channel_manager=manager)
    for partner in Partner.objects.filter(status_changes__isnull=True):
        StatusChange.objects.create(
            partner=partner,
            from_status="",
            to_status=partner.status,
            changed_at=partner.created_at,
            reason="recorded when the registry was introduced",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_registry"),
        ("slas", "0002_default_policy"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
