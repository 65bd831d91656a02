"""Keeps the totals over every partner (reporting.models.TotalRollup) right when a
partner goes: its daily rollups go with it (on delete cascade), so the totals of its
days are rebuilt from the partners left, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from partners.models import Partner

from .models import DailyRollup
from .rollups import rebuild_totals


@receiver(pre_delete, sender=Partner, dispatch_uid="reporting.partner_days")
def remember_the_partners_days(sender: Any, instance: Partner, **kwargs: Any) -> None:
    instance._rollup_days = list(  # type: ignore[attr-defined]
        DailyRollup.objects.filter(partner=instance).values_list("day", flat=True)
    )


@receiver(post_delete, sender=Partner, dispatch_uid="reporting.partner_totals")
def rebuild_the_partners_days(sender: Any, instance: Partner, **kwargs: Any) -> None:
    days = getattr(instance, "_rollup_days", None)
    if days:
        rebuild_totals(days)
