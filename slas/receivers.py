"""What slas does when the platform sets a tenant up (prm.tenancy.signals)."""

from typing import Any

from django.dispatch import receiver

from prm.tenancy.signals import tenant_provisioned, tenant_settings_changed

from .selectors import sla_policy_default
from .services import sla_policy_save


@receiver(tenant_provisioned)
def default_policy_follows_tenant_time_zone(sender: Any, tenant: Any, **kwargs: Any) -> None:
    """The default policy's working hours are the new tenant's own (09:00-17:00 in its
    time zone, not in UTC); a new version records the change."""
    policy = sla_policy_default()
    if policy.time_zone != tenant.time_zone:
        sla_policy_save(
            data={"time_zone": tenant.time_zone}, policy=policy, actor=None, source="provisioning"
        )


@receiver(tenant_settings_changed)
def default_policy_follows_a_new_time_zone(
    sender: Any,
    tenant: Any,
    changed: list[str],
    previous: dict[str, Any],
    actor: Any = None,
    **kwargs: Any,
) -> None:
    """When the tenant moves to another zone, its default policy's working hours move
    with it if they were in the old zone (a policy set to a zone of its own keeps it)."""
    if "time_zone" not in changed:
        return
    policy = sla_policy_default()
    if policy.time_zone == previous["time_zone"]:
        sla_policy_save(
            data={"time_zone": tenant.time_zone}, policy=policy, actor=actor, source="app"
        )
