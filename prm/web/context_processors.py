"""Navigation per role, built once here so the base template stays logic-free."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def _item(label: str, url_name: str, icon: str) -> dict[str, str] | None:
    try:
        return {"label": label, "url": reverse(url_name), "icon": icon}
    except NoReverseMatch:
        # An app that has not mounted its pages yet simply has no menu entry.
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    items: list[dict[str, str] | None] = []
    if tenant is not None and not getattr(tenant, "schema_name", "public") == "public":
        if user is not None and user.is_authenticated:
            if user.is_channel_staff:
                items = [
                    _item("Dashboard", "web:home", "speedometer2"),
                    _item("Partners", "partners:list", "people"),
                    _item("SLAs", "slas:list", "clipboard-check"),
                    _item("Reports", "reporting:dashboard", "graph-up"),
                ]
                if user.is_tenant_admin:
                    items.append(_item("Settings", "web:settings", "gear"))
            elif user.is_partner_user:
                items = [_item("My partner portal", "portal:home", "building")]
    return {
        "nav_items": [item for item in items if item],
        "current_tenant": tenant if tenant is not None and tenant.schema_name != "public" else None,
    }
