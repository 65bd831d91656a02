"""The SLA policies a partner is put on, as the registry sees them: a directory that
the slas app registers when it is ready (slas/partner_hooks.py).

partners sits below slas (DESIGN.md "Layers") and imports nothing of it, yet every
partner has a policy (Partner.sla, a string reference to slas.SlaPolicy): an empty
`sla` means the tenant's default, a slug names one, and the partner form offers them
all. Those reads are asked of the directory. It fails closed: without one registered,
ImproperlyConfigured says so rather than a partner being saved without its policy.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model


@dataclass(frozen=True)
class PolicyChoice:
    slug: str
    name: str
    is_default: bool


class PolicyDirectory(Protocol):
    """Reads of SLA policies, in the current tenant."""

    @property
    def model(self) -> type[Model]:
        """The policy model: a value of this type is taken as a policy as it is."""
        ...

    def default(self) -> Any:
        """The tenant's default policy; every tenant has one."""
        ...

    def by_slug(self, slug: str) -> Any | None:
        """The policy with this slug, or None."""
        ...

    def by_slugs(self, slugs: Collection[str]) -> dict[str, Any]:
        """The policies with these slugs, by slug (one query, for the import)."""
        ...

    def choices(self) -> list[PolicyChoice]:
        """Every policy, in the order people choose from."""
        ...


_registered: list[PolicyDirectory] = []


def register(directory: PolicyDirectory) -> None:
    """Make `directory` the one partners asks (slas does, in its AppConfig.ready)."""
    _registered[:] = [directory]


def directory() -> PolicyDirectory:
    if not _registered:
        raise ImproperlyConfigured(
            "No SLA policy directory is registered: partners needs the slas app installed "
            "(INSTALLED_APPS / TENANT_APPS), whose ready() registers it."
        )
    return _registered[0]
