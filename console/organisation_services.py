"""The organisation's settings written together: the tenant's own (prm.tenancy.services.
tenant_update, the service PATCH /api/v1/tenant/ calls) and its base SLA policy
(slas.services.sla_policy_save, the SLA settings page's service), in one transaction,
so an error in either leaves both as they were. The console composes them because the
platform (prm.tenancy) may not import slas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from prm.accounts.models import User
from prm.tenancy.models import Tenant
from prm.tenancy.services import tenant_update
from slas import selectors as sla_selectors
from slas.models import SlaPolicy
from slas.services import sla_policy_save


@dataclass
class OrganisationChange:
    changed: list[str] = field(default_factory=list)  # field names, the form's
    zone_before: str = ""  # the base policy's working-hours zone before and after
    zone_after: str = ""


def organisation_update(
    *, tenant: Tenant, actor: User | None, base_policy: SlaPolicy, **settings: Any
) -> OrganisationChange:
    """Make `base_policy` the base SLA policy and save the tenant's `settings`; says what
    changed. ValidationError by field, and then nothing is written."""
    with transaction.atomic():
        change = OrganisationChange()
        # The base policy first: a new zone then moves the working hours of the policy
        # that is the base from now on (slas' receiver of the change).
        if base_policy.pk != sla_selectors.sla_policy_default().pk:
            sla_policy_save(data={"is_default": True}, policy=base_policy, actor=actor)
            change.changed.append("default_sla")
        change.zone_before = sla_selectors.sla_policy_default().time_zone
        change.changed[:0] = tenant_update(tenant=tenant, actor=actor, **settings)
        change.zone_after = sla_selectors.sla_policy_default().time_zone
    return change
