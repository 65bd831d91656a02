"""What the people tests share: inviting through the page, the mailed link, and
signing in the way a person does."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from tests.conftest import TenantClient, tenant_schema

INVITE = "/settings/people/invite/"
LINK = re.compile(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/[^/\s]+/)")
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "orchard-ladder-77"


def invite(
    client: TenantClient,
    tenant: Any,
    capture: Any,
    *,
    email: str,
    role: str,
    partner: str = "",
    full_name: str = "",
) -> Any:
    """Post the invite form as the admin `client`, running what waits for the commit
    (the mail) inside the tenant, where the request ran."""
    with tenant_schema(tenant), capture(execute=True):
        return client.post(
            INVITE, {"email": email, "full_name": full_name, "role": role, "partner": partner}
        )


def mailed_links(email: str, pattern: re.Pattern[str] = LINK) -> list[str]:
    """The paths of the links mailed to `email`, oldest first."""
    return [
        match.group(1)
        for message in mail.outbox
        if email in message.to
        for match in [pattern.search(str(message.body))]
        if match
    ]


def follow_and_set(client: TenantClient, path: str, password: str = NEW_PASSWORD) -> Any:
    """Open an invitation link, then choose a password on the page it leads to."""
    opened = client.get(path)
    assert opened.status_code == 302, opened
    form_url = opened["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})
