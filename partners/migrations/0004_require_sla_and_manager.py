import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_fill_sla_and_manager"),
        ("slas", "0002_default_policy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="partner",
            name="sla",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="partners",
                to="slas.slapolicy",
                verbose_name="SLA policy",
            ),
        ),
        migrations.AlterField(
            model_name="partner",
            name="channel_manager",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="managed_partners",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
