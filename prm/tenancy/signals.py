from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Domain, Tenant
from .selectors import tenant_host_cache_clear


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance: Domain, **kwargs) -> None:
    tenant_host_cache_clear(hostname=instance.domain)


@receiver([post_save, post_delete], sender=Tenant)
def tenant_changed(sender, instance: Tenant, **kwargs) -> None:
    for domain in Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True):
        tenant_host_cache_clear(hostname=domain)
