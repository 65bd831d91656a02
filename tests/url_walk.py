"""Walk every URL of a urlconf as a stranger and report what answers too much.

The list of URLs comes from the URL resolver itself (following every include), never
from a hand-written list, so a URL added by any app is walked the day it is added.
Each URL parameter is filled from `samples` (parameter name -> a value that exists in
the tenant being attacked); a parameter with no sample stops the walk with a message
saying which sample to add.

Rules, for a caller who has no business on the host asked:

- a view marked `public_view` may answer anything but a server error, and must not
  show any of the `secrets` (data of the tenant being attacked);
- any other view may only refuse: 401, 403, 404, 405, or a redirect to the login page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.regex_helper import normalize

from prm.web.access import is_public_view

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFUSALS = frozenset({401, 403, 404, 405})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A deliberate "unavailable" (/healthz while a dependency is down); a crash is 500.
PUBLIC_NON_CRASH = frozenset({503})


class MissingSample(AssertionError):
    pass


@dataclass(frozen=True)
class Endpoint:
    name: str
    pattern: str
    path: str
    view: Callable[..., Any]

    @property
    def is_public(self) -> bool:
        return is_public_view(self.view)


@dataclass(frozen=True)
class Violation:
    endpoint: str
    path: str
    method: str
    caller: str
    status: int
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path} ({self.endpoint}) as {self.caller}: "
            f"{self.status}, {self.reason}"
        )


def _patterns(
    patterns: Iterable[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    for entry in patterns:
        regex = entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + regex, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed {regex}>"
            yield name, prefix + regex, entry.callback


def _sample(samples: Mapping[str, Any], name: str, regex: str, parameter: str) -> Any:
    for key in (f"{name}:{parameter}", parameter):
        if key in samples:
            return samples[key]
    raise MissingSample(
        f'URL "{name}" (pattern {regex}) has the parameter "{parameter}", which has no '
        "sample value. Add one to the samples in tests/test_cross_tenant.py: "
        f'"{parameter}" (or "{name}:{parameter}" for this URL only) -> the id or ref of '
        "an object that exists in tenant beta, so that the walk can request this URL."
    )


def endpoints(samples: Mapping[str, Any], urlconf: str | None = None) -> list[Endpoint]:
    """Every URL pattern of `urlconf`, each with a concrete path built from `samples`."""
    found = []
    for name, regex, view in _patterns(get_resolver(urlconf).url_patterns):
        # The form with the most parameters: optional groups filled in, not left out.
        format_string, parameters = max(normalize(regex), key=lambda form: len(form[1]))
        values = {
            parameter: quote(str(_sample(samples, name, regex, parameter)), safe="")
            for parameter in parameters
        }
        path = "/" + format_string % values
        match = resolve(path, urlconf)
        if match.func is not view:
            raise AssertionError(
                f'The path {path} built for URL "{name}" ({regex}) resolves to '
                f"{match.view_name} instead; its samples do not fit the pattern."
            )
        found.append(Endpoint(name=name, pattern=regex, path=path, view=view))
    return found


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _judge(
    endpoint: Endpoint, response: Any, login_path: str, secrets: Iterable[str]
) -> str | None:
    status = response.status_code
    body = _body(response)
    leaked = [secret for secret in secrets if secret.encode() in body]
    if leaked:
        return f"shows the attacked tenant's data: {', '.join(leaked)}"
    if endpoint.is_public:
        if status < 500 or status in PUBLIC_NON_CRASH:
            return None
        return "a public view failed with a server error"
    if status in REFUSALS:
        return None
    if status in REDIRECTS and urlsplit(response.get("Location", "")).path == login_path:
        return None
    if status in REDIRECTS:
        return f"redirects to {response.get('Location')} instead of refusing"
    return "answers instead of refusing (not public_view, yet no access rule stopped it)"


def walk(
    *,
    callers: Mapping[str, Client],
    samples: Mapping[str, Any],
    secrets: Iterable[str] = (),
    urlconf: str | None = None,
) -> list[Violation]:
    """Request every URL with every method as every caller; return what broke the rules.

    `callers` are clients already bound to the attacked host with someone else's
    credentials. Each request runs in a savepoint that is rolled back, so a view that
    writes (or fails in the database) cannot change what the next request sees.
    """
    secrets = list(secrets)
    settings_override = override_settings(ROOT_URLCONF=urlconf) if urlconf else None
    if settings_override:
        settings_override.enable()
    try:
        login_path = reverse("accounts:login")
        found = endpoints(samples)
        violations = []
        for endpoint in found:
            for method in METHODS:
                for caller_name, client in callers.items():
                    response = _request(client, method, endpoint.path)
                    reason = _judge(endpoint, response, login_path, secrets)
                    if reason:
                        violations.append(
                            Violation(
                                endpoint.name,
                                endpoint.path,
                                method,
                                caller_name,
                                response.status_code,
                                reason,
                            )
                        )
        return violations
    finally:
        if settings_override:
            settings_override.disable()


def _request(client: Client, method: str, path: str) -> Any:
    raise_exceptions = client.raise_request_exception
    # A crash is a finding (a 500), not the end of the walk.
    client.raise_request_exception = False
    try:
        with transaction.atomic():
            response = client.generic(
                method,
                path,
                data=b"{}" if method != "GET" else b"",
                content_type="application/json",
            )
            transaction.set_rollback(True)
        return response
    finally:
        client.raise_request_exception = raise_exceptions


def url_samples(
    *,
    api_key: Any,
    partner: Any,
    contact: Any,
    product: Any,
    tier_slug: str,
    import_job: Any,
    subscription: Any,
    delivery: Any,
    policy: Any,
    request: Any,
    notice: Any,
) -> dict[str, Any]:
    """A value for every URL parameter of the tenant URLs, taken from the objects under
    attack. One entry per parameter name (or "namespace:url-name:parameter" for one
    URL): a URL with a new parameter needs its entry here, and the walks stop with a
    message naming it until it has one."""
    return {
        "api_key_id": api_key.pk,
        "pk": api_key.pk,
        "ref": partner.ref,
        "partner_ref": partner.ref,
        "job_id": import_job.public_id,
        "subscription_id": subscription.pk,
        "delivery_id": delivery.pk,
        "sku": product.sku,
        "slug": tier_slug,
        "api:partner-contact-detail:pk": contact.pk,
        "contact_id": contact.pk,
        "api:sla-detail:slug": policy.slug,
        "api:sla-versions:slug": policy.slug,
        "api:request-detail:pk": request.pk,
        "api:request-respond:pk": request.pk,
        "api:request-resolve:pk": request.pk,
        "api:request-messages:pk": request.pk,
        "policy": policy.slug,
        "number": 1,
        "request_id": request.pk,
        "notification_id": notice.pk,
        # Settings → People and the users API: the partner's channel manager, a person.
        "user_id": partner.channel_manager_id,
        "api:user-detail:pk": partner.channel_manager_id,
        "api:user-invitation:pk": partner.channel_manager_id,
        "api:user-password-reset:pk": partner.channel_manager_id,
        "uidb64": "MQ",
        "token": "c0ffee-0123456789abcdef",
        "format": "json",
        # The dashboard's CSV downloads: the one with every partner's row.
        "table": "metrics",
    }
