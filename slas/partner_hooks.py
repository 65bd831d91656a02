"""What slas tells the registry below it (partners.policies): where the SLA policies
are, so that partners, which may not import slas (DESIGN.md "Layers"), can put a
partner on the default policy or on one named by its slug, and offer them in forms.
Registered in SlasConfig.ready."""

from __future__ import annotations

from collections.abc import Collection

from partners.policies import PolicyChoice, register

from .models import SlaPolicy
from .selectors import sla_policy_default, sla_policy_list


class SlaPolicyDirectory:
    model = SlaPolicy

    def default(self) -> SlaPolicy:
        return sla_policy_default()

    def by_slug(self, slug: str) -> SlaPolicy | None:
        return SlaPolicy.objects.filter(slug=slug).first()

    def by_slugs(self, slugs: Collection[str]) -> dict[str, SlaPolicy]:
        return {policy.slug: policy for policy in SlaPolicy.objects.filter(slug__in=slugs)}

    def choices(self) -> list[PolicyChoice]:
        return [
            PolicyChoice(slug=policy.slug, name=policy.name, is_default=policy.is_default)
            for policy in sla_policy_list()
        ]


register(SlaPolicyDirectory())
