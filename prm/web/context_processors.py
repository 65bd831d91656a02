"""Navigation per role, built once here so the base template stays logic-free."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django_tenants.utils import get_public_schema_name


def _item(label: str, url_name: str, icon: str) -> dict[str, str] | None:
    try:
        return {"label": label, "url": reverse(url_name), "icon": icon}
    except NoReverseMatch:
        # An app that has not mounted its pages yet simply has no menu entry.
        return None


def _items_for(user: Any) -> list[dict[str, str] | None]:
    if user is None or not user.is_authenticated:
        return []
    if user.is_channel_staff:
        items = [
            _item("Dashboard", "console:home", "speedometer2"),
            _item("Partners", "partners:list", "people"),
            _item("SLAs", "slas:list", "clipboard-check"),
            _item("Activity", "reporting:activity", "activity"),
        ]
        if user.is_tenant_admin:
            items.append(_item("Settings", "web:settings", "gear"))
        return items
    if user.is_partner_user:
        return [_item("My partner portal", "portal:home", "building")]
    return []


def navigation(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return {"nav_items": [], "current_tenant": None}
    items = [item for item in _items_for(getattr(request, "user", None)) if item]
    for item in items:
        # A section is current on its own pages too (/partners/acme/ is under Partners).
        url = item["url"]
        item["active"] = (
            "yes" if request.path == url or (url != "/" and request.path.startswith(url)) else ""
        )
    return {"nav_items": items, "current_tenant": tenant}
