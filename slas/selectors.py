from django.db.models import QuerySet

from .models import SlaPolicy


def sla_policy_list() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.all()


def sla_policy_default() -> SlaPolicy:
    """The tenant's default policy; every tenant has one from its first migration."""
    return SlaPolicy.objects.get(is_default=True)
