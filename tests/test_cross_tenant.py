"""Nothing of tenant beta answers to tenant alpha's session or API key.

Every URL of the tenant urlconf, taken from the URL resolver, is requested with GET,
POST, PUT, PATCH and DELETE on beta's host as alpha's signed-in admin and as alpha's
read+write API key. See tests/url_walk.py for the rules.
"""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from partners.models import ImportFormat, ImportJob
from partners.services import contact_create, product_create, tier_create
from prm.webhooks.models import Delivery
from prm.webhooks.services import subscription_create, webhook_emit
from slas.models import Notification
from slas.services import partner_request_open, sla_policy_save
from tests.conftest import TenantClient, client_for
from tests.factories import ApiKeyFactory, PartnerFactory
from tests.url_walk import MissingSample, endpoints, url_samples, walk


@pytest.fixture
def beta_data(db: None, in_tenant: Callable[..., Any], tenant_b: Any) -> dict[str, Any]:
    """Objects of beta that the walk aims at, and strings alpha must never see."""
    marker = uuid.uuid4().hex[:12]
    with in_tenant(tenant_b):
        api_key = ApiKeyFactory.create(name=f"beta-secret-key-{marker}")
        product = product_create(actor=None, sku=f"beta-sku-{marker}", name=f"Beta Gadget {marker}")
        tier = tier_create(actor=None, slug=f"beta-tier-{marker}", name=f"Beta Tier {marker}")
        partner = PartnerFactory.create(
            ref=f"beta-partner-{marker}",
            name=f"Beta Secret Partner {marker}",
            products=[product],
            tier=tier,
        )
        contact = contact_create(partner=partner, actor=None, name=f"Beta Contact {marker}")
        import_job = ImportJob.objects.create(
            filename=f"beta-import-{marker}.csv", format=ImportFormat.CSV, content=b"ref,name\n"
        )
        subscription, _secret = subscription_create(
            url=f"http://127.0.0.1:9/beta-{marker}/hooks", events=["partner.updated"]
        )
        webhook_emit(event="partner.updated", data={"ref": partner.ref})
        delivery = Delivery.objects.get(subscription=subscription)
        policy, _ = sla_policy_save(
            data={"slug": f"beta-sla-{marker}", "name": f"Beta SLA {marker}"}, actor=None
        )
        request = partner_request_open(partner=partner, subject=f"Beta Request {marker}")
        notice = Notification.objects.create(
            user=partner.channel_manager, title=f"Beta Notice {marker}"
        )
    samples = url_samples(
        api_key=api_key,
        partner=partner,
        contact=contact,
        product=product,
        tier_slug=tier.slug,
        import_job=import_job,
        subscription=subscription,
        delivery=delivery,
        policy=policy,
        request=request,
        notice=notice,
    )
    secrets = [
        import_job.filename,
        api_key.name,
        api_key.prefix,
        partner.name,
        product.name,
        tier.name,
        contact.name,
    ]
    secrets += [policy.name, request.subject, notice.title]
    return {"samples": samples, "secrets": secrets}


@pytest.fixture
def alpha_callers(
    alpha_admin: TenantClient, alpha_api: TenantClient, tenant_b: Any
) -> dict[str, TenantClient]:
    """Clients on beta's host carrying alpha's credentials."""
    with_session = client_for(tenant_b)
    with_session.cookies[settings.SESSION_COOKIE_NAME] = alpha_admin.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    return {
        "alpha's admin session": with_session,
        "alpha's read+write API key": client_for(
            tenant_b, HTTP_AUTHORIZATION=f"Bearer {alpha_api.key}"
        ),
    }


@pytest.fixture(autouse=True)
def _quick_health_pings(settings: Any) -> None:
    # /healthz is walked too; without a worker each ping waits its whole timeout.
    settings.PRM_HEALTH_WORKER_TIMEOUT = 0.2


def test_alpha_credentials_open_nothing_on_beta(
    beta_data: dict[str, Any],
    alpha_callers: dict[str, TenantClient],
    alpha_admin: TenantClient,
    alpha_api: TenantClient,
) -> None:
    # given alpha's credentials work on alpha's own host
    assert alpha_admin.get("/settings/").status_code == 200
    assert alpha_api.get("/api/v1/me/").status_code == 200

    # when every URL is requested on beta's host with them
    violations = walk(
        callers=alpha_callers, samples=beta_data["samples"], secrets=beta_data["secrets"]
    )

    # then beta refused every one
    assert not violations, "\n".join(str(violation) for violation in violations)


def test_the_walk_covers_every_url(beta_data: dict[str, Any]) -> None:
    # when the walk lists the tenant URLs
    names = {endpoint.name for endpoint in endpoints(beta_data["samples"])}

    # then URLs from every include are there, parameters filled in
    assert {
        "healthz",
        "console:home",
        "web:api_key_revoke",
        "accounts:login",
        "accounts:password_reset_confirm",
        "api:me",
        "api:api-key-detail",
        "api:sla-detail",
        "api:request-resolve",
        "api:partner-sla",
        "api-schema",
    } <= names


def test_the_walk_reports_a_view_that_ignores_the_tenant(
    beta_data: dict[str, Any], alpha_callers: dict[str, TenantClient]
) -> None:
    # given the tenant URLs plus one view with no access rule that reads alpha's data

    # when the walk runs over them
    violations = walk(
        callers=alpha_callers,
        samples=beta_data["samples"],
        secrets=beta_data["secrets"],
        urlconf="tests.urlconfs.leaky",
    )

    # then it reports that view, for every method and caller, and nothing else
    assert {violation.endpoint for violation in violations} == {"leaky"}
    assert len(violations) == 5 * len(alpha_callers)
    assert {violation.status for violation in violations} == {200}


def test_the_walk_stops_at_a_url_parameter_without_sample(beta_data: dict[str, Any]) -> None:
    # given a URL whose parameter has no sample

    # when the walk lists the URLs, then it fails, telling what to add
    with pytest.raises(MissingSample, match=r'"widget".*"widget_id".*Add one to the samples'):
        walk(callers={}, samples=beta_data["samples"], urlconf="tests.urlconfs.unsampled")
