"""Display helpers of the SLA pages: targets with their units, business time left on a
clock, and the clock state badge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist

from prm.web import formats
from slas.models import SlaPolicy

register = template.Library()

# State -> (Bootstrap badge classes, icon); labels come from ClockState.
STATE_STYLES = {
    "on_track": ("bg-success-subtle text-success-emphasis border border-success-subtle", "clock"),
    "at_risk": ("text-bg-warning", "exclamation-triangle-fill"),
    "breached": ("text-bg-danger", "x-octagon-fill"),
    "met": ("text-bg-success", "check-circle-fill"),
    "missed": (
        "bg-danger-subtle text-danger-emphasis border border-danger-subtle",
        "clock-history",
    ),
    "none": ("text-bg-light border", "dash-circle"),
    "ok": ("bg-success-subtle text-success-emphasis border border-success-subtle", "check2"),
}


def _plain_number(value: Any) -> str:
    # 4.00 -> "4", 1.50 -> "1.5", 100 -> "100" (normalize alone would give "1E+2").
    return format(Decimal(str(value)).normalize(), "f")


def format_target(value: Any, unit: str) -> str:
    """A target as people read it: "4 business hours", "$1,500.00" (the tenant's
    currency and locale, prm.web.formats), "3", "99.9 %"."""
    if value is None or value == "":
        return "—"
    if unit == "hours":
        number = _plain_number(value)
        return f"{number} business hour{'' if number == '1' else 's'}"
    if unit == "short_hours":
        return f"{_plain_number(value)} h"
    if unit == "money":
        return formats.money(value)
    if unit == "percent":
        return f"{_plain_number(value)} %"
    return formats.number(int(value))


@register.filter
def sla_target(value: Any, unit: str) -> str:
    return format_target(value, unit)


@register.filter
def sla_target_short(value: Any, unit: str) -> str:
    """Like sla_target, with hours as "4 h" where space is short."""
    return format_target(value, "short_hours" if unit == "hours" else unit)


def format_business_time(value: timedelta | None) -> str:
    """ "3 h 20 min", "45 min", "under a minute"; the sign is the caller's business."""
    if value is None:
        return "—"
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if not hours and not minutes:
        return "under a minute"
    parts = ([f"{intcomma(hours)} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts)


@register.filter
def business_time(value: timedelta | None) -> str:
    return format_business_time(value)


@register.filter
def is_overdue(value: timedelta | None) -> bool:
    return value is not None and value < timedelta(0)


@register.inclusion_tag("slas/_state_badge.html")
def state_badge(state: str, label: str = "") -> dict[str, Any]:
    classes, icon = STATE_STYLES.get(state, STATE_STYLES["none"])
    labels = {"ok": "No open issue", "at_risk": "At risk", "breached": "Breached"}
    return {"classes": classes, "icon": icon, "label": label or labels.get(state, state)}


@register.filter
def sla_field_label(field: str) -> str:
    """A policy field as people name it: "First response", "Holidays", "Default"."""
    special = {
        "policies": "Policies and procedures",
        "is_default": "Default",
        "slug": "Slug",
        "escalation_name": "Escalation contact",
        "escalation_email": "Escalation e-mail",
        "uptime_percent": "Uptime",
    }
    if field in special:
        return special[field]
    try:
        label = str(getattr(SlaPolicy._meta.get_field(field), "verbose_name", field))
    except FieldDoesNotExist:  # a field of an older version that the model no longer has
        label = field.replace("_", " ")
    return label.split(" (")[0].capitalize()
