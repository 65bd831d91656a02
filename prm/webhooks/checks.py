"""Start-up checks of the webhook settings: a network that does not parse would
otherwise only show up as a failed delivery."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def allowed_networks_parse(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for entry in settings.PRM_WEBHOOK_ALLOWED_NETWORKS:
        try:
            ipaddress.ip_network(entry.strip())
        except ValueError:
            errors.append(
                Error(
                    f"PRM_WEBHOOK_ALLOWED_NETWORKS has “{entry}”, which is not a network.",
                    hint="Give CIDRs such as 127.0.0.0/8 or ::1/128, comma-separated.",
                    id="webhooks.E001",
                )
            )
    return errors
