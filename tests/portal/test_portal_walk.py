"""Nothing of partner Y answers to a user of partner X, on any URL of the tenant.

Every URL pattern of the tenant urlconf is taken from the URL resolver (tests/url_walk,
the same list the cross-tenant walk uses), its parameters filled with Y's refs and ids
(Y's partner, contact, tier, request, policy, ...), and requested as X's portal user
with GET (the query string naming Y too), POST (empty, and a form naming Y in every
field a form might read), PUT, PATCH and DELETE. Each answer must:

- show none of Y's strings (its name, ref, e-mails, order/call/contact ids, request
  subject, ...), in the body or in a redirect;
- change nothing of Y (its row, history, activity, requests, contacts);
- be a refusal (401, 403, 404, 405), a redirect to the login page or into the portal,
  or a page of X's own: a portal page (which shows X's name) or one of the few pages
  every signed-in user has for themselves (PERSONAL_PAGES).

So a new page that answers partner users, or a portal page that reads its partner
from the request, fails this test the day it is added. A URL parameter with no sample
stops the walk (MissingSample): add it to tests.url_walk.url_samples, which this walk
and tests/test_cross_tenant.py share.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from partners.models import Contact, ImportFormat, ImportJob, Partner, StatusChange
from partners.services import partner_update, product_create
from prm.webhooks.models import Delivery
from prm.webhooks.services import subscription_create, webhook_emit
from reporting.models import Call, Lead, Order
from slas.models import Notification, PartnerRequest
from slas.services import sla_policy_save
from tests.conftest import TenantClient, tenant_schema
from tests.factories import ApiKeyFactory
from tests.portal.conftest import PortalPartner
from tests.url_walk import (
    PUBLIC_NON_CRASH,
    REDIRECTS,
    REFUSALS,
    Endpoint,
    endpoints,
    url_samples,
)

pytestmark = pytest.mark.django_db

# Pages that every signed-in user has for their own account, whatever the role (their
# password, their own notifications); they show nothing of any partner, and the
# leak and write checks still apply to them.
PERSONAL_PAGES = frozenset(
    {
        "accounts:password_change",
        "accounts:password_change_done",
        "slas:notifications",
        "slas:notification_read",
        "slas:notifications_read_all",
    }
)
PORTAL_PREFIX = "/portal/"


@dataclass(frozen=True)
class Finding:
    endpoint: str
    method: str
    path: str
    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint}): {self.status}, {self.reason}"


@pytest.fixture(autouse=True)
def _quick_health_pings(settings: Any) -> None:
    settings.PRM_HEALTH_WORKER_TIMEOUT = 0.2


@pytest.fixture
def y_samples(partner_y: PortalPartner, tenant_a: Any) -> dict[str, Any]:
    """A value for every URL parameter, each naming something of Y (or, for what no
    partner owns, something marked with Y's marker), and more of Y's strings."""
    marker = partner_y.marker
    partner = partner_y.partner
    with tenant_schema(tenant_a):
        api_key = ApiKeyFactory.create(name=f"key-{marker}")
        product = product_create(actor=None, sku=f"sku-{marker}", name=f"Gadget {marker}")
        policy, _ = sla_policy_save(
            data={"slug": f"sla-{marker}", "name": f"SLA {marker}"}, actor=None
        )
        partner_update(partner=partner, actor=None, sla=policy.slug, products=[product.sku])
        contact = partner.contacts.get()
        import_job = ImportJob.objects.create(
            filename=f"import-{marker}.csv", format=ImportFormat.CSV, content=b"ref,name\n"
        )
        subscription, _secret = subscription_create(
            url=f"http://127.0.0.1:9/{marker}/hooks", events=["partner.updated"]
        )
        webhook_emit(event="partner.updated", data={"ref": partner.ref})
        delivery = Delivery.objects.get(subscription=subscription)
        notice = Notification.objects.create(user=partner.channel_manager, title=f"Notice {marker}")
    request = partner_y.request
    assert request is not None
    return {
        "samples": url_samples(
            api_key=api_key,
            partner=partner,
            contact=contact,
            product=product,
            tier_slug=partner.tier.slug if partner.tier else "",
            import_job=import_job,
            subscription=subscription,
            delivery=delivery,
            policy=policy,
            request=request,
            notice=notice,
        ),
        # Every string here is Y's (or carries Y's marker): none may reach X.
        "secrets": [*partner_y.secrets, contact.email, request.subject],
    }


def _tamper_form(partner_y: PortalPartner) -> dict[str, Any]:
    """A form body naming Y wherever a form might look, and valid for the portal's
    own forms (so they store, for X, and the walk sees that Y is untouched)."""
    partner = partner_y.partner
    request = partner_y.request
    assert request is not None
    return {
        "partner": partner.ref,
        "ref": partner.ref,
        "partners": partner.ref,
        "partner_id": partner.pk,
        "request_id": request.pk,
        "request": request.pk,
        "user": partner_y.user.pk,
        "name": "Walked Over Ltd",
        "status": "terminated",
        "reason": "walk",
        "kind": "support",
        "subject": "walk",
        "direction": "made",
        "counterpart": "customer",
        "duration_minutes": "1",
        "occurred_at": "2026-11-20T10:00",
        "source": "walk",
        "created_at": "2026-11-20T10:00",
        "city": "Walkcity",
        "contact_email": "walk@example.com",
        "email": "walk@example.com",
        "to_manager": partner_y.partner.channel_manager.email,
        "channel_manager": partner_y.partner.channel_manager.email,
    }


def _fingerprint(partner_y: PortalPartner) -> tuple[Any, ...]:
    """Everything of Y a request could change."""
    partner = partner_y.partner
    values: dict[str, Any] = dict(Partner.objects.filter(pk=partner.pk).values().first() or {})
    # The DNS check's own fields are not the partner's data (a nightly task moves them).
    row = sorted((key, value) for key, value in values.items() if not key.startswith("dns_"))
    return (
        tuple(row),
        sorted(partner.products.values_list("pk", flat=True)),
        partner.history.count(),
        StatusChange.objects.filter(partner=partner).count(),
        list(Contact.objects.filter(partner=partner).values()),
        Order.objects.filter(partner=partner).count(),
        Call.objects.filter(partner=partner).count(),
        Lead.objects.filter(partner=partner).count(),
        list(PartnerRequest.objects.filter(partner=partner).values()),
    )


def _requests(path: str, partner_y: PortalPartner) -> Iterator[tuple[str, dict[str, Any]]]:
    """(method, client.generic arguments) for one URL."""
    query = urlencode({"partner": partner_y.partner.ref, "ref": partner_y.partner.ref})
    yield "GET", {"path": f"{path}?{query}"}
    yield "POST", {"path": path, "data": b"{}", "content_type": "application/json"}
    form = urlencode(_tamper_form(partner_y))
    yield (
        "POST",
        {"path": path, "data": form, "content_type": "application/x-www-form-urlencoded"},
    )
    for method in ("PUT", "PATCH", "DELETE"):
        yield method, {"path": path, "data": b"{}", "content_type": "application/json"}


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _judge(
    endpoint: Endpoint, response: Any, body: bytes, secrets: list[str], own_name: str
) -> str | None:
    status = response.status_code
    # A redirect to the login page carries the asked path (Y's ref) in ?next=: that
    # is the caller's own input, not Y's data; where it sends them is.
    target = urlsplit(response.get("Location", "")).path
    leaked = [secret for secret in secrets if secret.encode() in body or secret in target]
    if leaked:
        return f"shows partner Y's data: {', '.join(leaked)}"
    if endpoint.is_public:
        # Login, logout, password reset, health, API schema: anyone may get them.
        return None if status < 500 or status in PUBLIC_NON_CRASH else "a server error"
    if status >= 500:
        return "a server error"
    if status in REFUSALS:
        return None
    if endpoint.name in PERSONAL_PAGES:
        return None
    if status in REDIRECTS:
        if target == reverse("accounts:login") or target.startswith(PORTAL_PREFIX):
            return None
        return f"redirects a partner user to {target} instead of refusing"
    if endpoint.path.startswith(PORTAL_PREFIX):
        is_html = response.get("Content-Type", "").startswith("text/html")
        if is_html and own_name.encode() not in body:
            return "a portal page that does not show the user's own partner"
        return None
    return "answers a partner user (not a portal page, a personal page or public_view)"


def walk_as_partner(
    *,
    client: TenantClient,
    tenant: Any,
    partner_x: PortalPartner,
    partner_y: PortalPartner,
    samples: dict[str, Any],
    secrets: list[str],
    urlconf: str | None = None,
) -> list[Finding]:
    """Request every URL every way as X's user; each request runs in a savepoint that
    is rolled back after Y's state is compared, so no request sees another's writes."""
    settings_override = override_settings(ROOT_URLCONF=urlconf) if urlconf else None
    if settings_override:
        settings_override.enable()
    try:
        with tenant_schema(tenant):
            before = _fingerprint(partner_y)
        findings = []
        for endpoint in endpoints(samples):
            for method, arguments in _requests(endpoint.path, partner_y):
                raise_exceptions = client.raise_request_exception
                client.raise_request_exception = False  # a crash is a finding
                # Sign-out (or a login) replaces the session cookie; the session row
                # itself comes back with the rollback, so the cookie is put back too.
                session = client.cookies[settings.SESSION_COOKIE_NAME].value
                try:
                    with transaction.atomic():
                        response = client.generic(method, **arguments)
                        with tenant_schema(tenant):
                            body = _body(response)
                            after = _fingerprint(partner_y)
                        transaction.set_rollback(True)
                finally:
                    client.raise_request_exception = raise_exceptions
                    client.cookies[settings.SESSION_COOKIE_NAME] = session
                reason = _judge(endpoint, response, body, secrets, partner_x.partner.name)
                if after != before:
                    reason = "changed partner Y's data" + (f"; and {reason}" if reason else "")
                if reason:
                    findings.append(
                        Finding(
                            endpoint.name, method, arguments["path"], response.status_code, reason
                        )
                    )
        return findings
    finally:
        if settings_override:
            settings_override.disable()


@pytest.fixture
def walk(
    x_client: TenantClient,
    tenant_a: Any,
    partner_x: PortalPartner,
    partner_y: PortalPartner,
    y_samples: dict[str, Any],
) -> Callable[..., list[Finding]]:
    def run(urlconf: str | None = None) -> list[Finding]:
        return walk_as_partner(
            client=x_client,
            tenant=tenant_a,
            partner_x=partner_x,
            partner_y=partner_y,
            samples=y_samples["samples"],
            secrets=y_samples["secrets"],
            urlconf=urlconf,
        )

    return run


def test_a_partner_user_reaches_nothing_of_another_partner(
    walk: Callable[..., list[Finding]], x_client: TenantClient, partner_x: PortalPartner
) -> None:
    # given X's user has its portal
    assert partner_x.partner.name in x_client.get("/portal/").content.decode()

    # when every URL is requested every way with Y's refs and ids
    findings = walk()

    # then none showed or changed anything of Y, and only X's own pages answered
    assert not findings, "\n".join(str(finding) for finding in findings)


def test_the_walk_covers_the_portal_and_the_manager_pages(
    y_samples: dict[str, Any],
) -> None:
    names = {endpoint.name for endpoint in endpoints(y_samples["samples"])}
    assert {
        "portal:home",
        "portal:request_detail",
        "portal:orders_export",
        "portal:call_new",
        "console:home",
        "web:settings",
        "partners:detail",
        "partners:edit",
        "slas:request_detail",
        "slas:override",
        "reporting:activity",
        "api:partner-detail",
    } <= names


def test_the_walk_reports_pages_that_trust_the_url_or_answer_partner_users(
    walk: Callable[..., list[Finding]],
) -> None:
    # when the walk runs over the tenant URLs plus a portal page that takes its partner
    # from the URL and a non-portal page that answers partner users
    findings = walk("tests.portal.leaky_urls")

    # then it reports exactly those two, on every method that reached them
    assert {finding.endpoint for finding in findings} == {"leaky_portal:peek", "elsewhere"}
    peek = [finding for finding in findings if finding.endpoint == "leaky_portal:peek"]
    assert all("shows partner Y's data" in finding.reason for finding in peek)
    assert len(peek) == 6
    elsewhere = [finding for finding in findings if finding.endpoint == "elsewhere"]
    assert all("answers a partner user" in finding.reason for finding in elsewhere)


def test_the_walk_reports_a_write_to_another_partner(
    walk: Callable[..., list[Finding]], partner_y: PortalPartner, tenant_a: Any
) -> None:
    # given a fingerprint that sees Y's calls, a call logged for Y during the walk is
    # reported: the fingerprint is what catches it, so check that it moves
    with tenant_schema(tenant_a):
        before = _fingerprint(partner_y)
        with transaction.atomic():
            Call.objects.create(
                external_id=f"probe-{uuid.uuid4()}",
                partner=partner_y.partner,
                direction="made",
                occurred_at=partner_y.partner.created_at,
            )
            assert _fingerprint(partner_y) != before
            transaction.set_rollback(True)
