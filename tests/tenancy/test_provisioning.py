"""provision_tenant: a working tenant from one command, or nothing at all."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from prm.tenancy.models import Domain, Tenant
from prm.tenancy.selectors import tenant_host_cache_clear
from prm.tenancy.services import host_for, schema_name_for
from slas.selectors import sla_policy_default
from tests.commands import run_manage
from tests.conftest import TenantClient
from tests.factories import DEFAULT_PASSWORD


def schemata() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def new_slug(db: None) -> Iterator[str]:
    # The test's transaction removes the tenant and its schema; the host cache in Redis
    # is not transactional, so forget the host explicitly.
    slug = "gamma"
    yield slug
    tenant_host_cache_clear(hostname=host_for(slug))


def test_provision_tenant_serves_its_login_page(new_slug: str) -> None:
    # given a slug nobody uses
    assert schema_name_for(new_slug) not in schemata()

    # when an operator provisions it with an admin
    result = run_manage(
        "provision_tenant",
        new_slug,
        "--name",
        "Gamma Inc",
        "--admin-email",
        "boss@gamma.example",
        "--admin-password",
        DEFAULT_PASSWORD,
    )

    # then the command succeeds and names the tenant's address
    assert result.exit_code == 0, result.stderr
    assert f"http://{new_slug}.localhost/" in result.stdout
    assert Tenant.objects.filter(slug=new_slug, schema_name=schema_name_for(new_slug)).exists()
    assert schema_name_for(new_slug) in schemata()
    # and its host serves the tenant's own login page
    browser = TenantClient(f"{new_slug}.localhost")
    page = browser.get("/accounts/login/")
    assert page.status_code == 200
    assert "Sign in to Gamma Inc" in page.content.decode()
    # and the admin can sign in there
    signed_in = browser.post(
        "/accounts/login/", {"username": "boss@gamma.example", "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/"


def test_the_default_sla_calendar_keeps_the_tenants_time_zone(new_slug: str) -> None:
    # when a tenant is provisioned in Berlin's time zone
    result = run_manage(
        "provision_tenant", new_slug, "--name", "Gamma", "--time-zone", "Europe/Berlin"
    )

    # then its default SLA policy counts working hours in Berlin, from a recorded version
    assert result.exit_code == 0, result.stderr
    with schema_context(schema_name_for(new_slug)):
        policy = sla_policy_default()
        assert policy.time_zone == "Europe/Berlin"
        latest = policy.versions.first()
        assert latest is not None
        assert latest.data["time_zone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        pytest.param(["Gamma_1", "--name", "G"], "lower-case letters", id="invalid-slug"),
        pytest.param(["admin", "--name", "G"], '"admin" is reserved', id="reserved-slug"),
        pytest.param(["alpha", "--name", "G"], 'A tenant "alpha" already exists', id="taken-slug"),
        pytest.param(
            [
                "gamma",
                "--name",
                "G",
                "--admin-email",
                "not-an-email",
                "--admin-password",
                DEFAULT_PASSWORD,
            ],
            '"not-an-email" is not an e-mail address',
            id="bad-email",
        ),
        pytest.param(
            [
                "gamma",
                "--name",
                "G",
                "--admin-email",
                "boss@gamma.example",
                "--admin-password",
                "12345",
            ],
            "admin_password",
            id="weak-password",
        ),
        pytest.param(
            ["gamma", "--name", "G", "--admin-email", "boss@gamma.example"],
            "Give both --admin-email and --admin-password",
            id="email-without-password",
        ),
        pytest.param(
            ["gamma", "--name", "G", "--admin-password", DEFAULT_PASSWORD],
            "Give both --admin-email and --admin-password",
            id="password-without-email",
        ),
        pytest.param(
            ["gamma", "--name", "G", "--time-zone", "Mars/Olympus"],
            'time_zone: "Mars/Olympus" is not a time zone',
            id="unknown-time-zone",
        ),
        pytest.param(
            ["gamma", "--name", "G", "--api-rate-limit", "0"],
            "api_rate_limit: The limit must be between 1 and",
            id="impossible-rate-limit",
        ),
    ],
)
def test_provision_tenant_refuses_bad_input_and_creates_nothing(
    new_slug: str, arguments: list[str], reason: str
) -> None:
    # given the tenants, domains and schemas there are
    tenants_before = set(Tenant.objects.values_list("slug", flat=True))
    domains_before = set(Domain.objects.values_list("domain", flat=True))
    schemata_before = schemata()

    # when the command gets bad input
    result = run_manage("provision_tenant", *arguments)

    # then it fails with one line saying why
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0]
    # and nothing was created
    assert set(Tenant.objects.values_list("slug", flat=True)) == tenants_before
    assert set(Domain.objects.values_list("domain", flat=True)) == domains_before
    assert schemata() == schemata_before
