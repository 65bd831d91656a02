from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import Domain, Tenant
from .selectors import tenant_host_cache_clear

# Sent by tenant_provision() inside the new tenant's schema, in the transaction that
# creates its admin: `tenant`. Domain apps set their own parts of a new tenant up here
# (the platform cannot import them).
tenant_provisioned = Signal()

# Sent by tenant_update() inside the tenant's schema, in its transaction, when the
# administrator changed settings: `tenant`, `changed` (the setting names) and
# `previous` (their values before). The apps follow what depends on them.
tenant_settings_changed = Signal()


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance: Domain, **kwargs) -> None:
    tenant_host_cache_clear(hostname=instance.domain)


@receiver([post_save, post_delete], sender=Tenant)
def tenant_changed(sender, instance: Tenant, **kwargs) -> None:
    for domain in Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True):
        tenant_host_cache_clear(hostname=domain)
