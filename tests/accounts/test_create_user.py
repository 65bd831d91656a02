"""create_user: users of every role, in the tenant named, nowhere else."""

from collections.abc import Callable
from typing import Any

import pytest

from partners.models import PartnerUser
from prm.accounts.models import User
from tests.commands import run_manage
from tests.factories import DEFAULT_PASSWORD


@pytest.mark.parametrize("role", ["admin", "manager", "partner"])
def test_create_user_with_each_role(
    role: str,
    partner_in: Callable[..., Any],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    tenant_b: Any,
    db: None,
) -> None:
    # given a partner of alpha for partner users
    partner = partner_in(tenant_a)
    extra = ["--partner", partner.ref] if role == "partner" else []

    # when an operator creates a user of that role in alpha
    result = run_manage(
        "create_user",
        "--tenant",
        "alpha",
        "--email",
        f"{role}@example.com",
        "--password",
        DEFAULT_PASSWORD,
        "--role",
        role,
        *extra,
    )

    # then the user exists in alpha with that role, and signs in with that password
    assert result.exit_code == 0, result.stderr
    with in_tenant(tenant_a):
        user = User.objects.get(email=f"{role}@example.com")
        assert user.role == role
        assert user.check_password(DEFAULT_PASSWORD)
        links = list(PartnerUser.objects.filter(user=user).values_list("partner__ref", flat=True))
    assert links == ([partner.ref] if role == "partner" else [])
    # and not in beta
    with in_tenant(tenant_b):
        assert not User.objects.filter(email=f"{role}@example.com").exists()


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        pytest.param(
            ["--tenant", "alpha", "--role", "partner"],
            "A partner user needs --partner REF",
            id="partner-without-partner",
        ),
        pytest.param(
            ["--tenant", "alpha", "--role", "partner", "--partner", "no-such-partner"],
            'There is no partner with ref "no-such-partner"',
            id="unknown-partner",
        ),
        pytest.param(
            ["--tenant", "nowhere", "--role", "admin"],
            'There is no tenant "nowhere"',
            id="unknown-tenant",
        ),
        pytest.param(
            ["--tenant", "alpha", "--role", "manager", "--partner", "acme"],
            "--partner goes only with --role partner",
            id="partner-for-manager",
        ),
    ],
)
def test_create_user_refuses_bad_input(
    arguments: list[str], reason: str, in_tenant: Callable[..., Any], tenant_a: Any, db: None
) -> None:
    # when the command gets bad input
    result = run_manage(
        "create_user",
        "--email",
        "someone@example.com",
        "--password",
        DEFAULT_PASSWORD,
        *arguments,
    )

    # then it fails, saying why, and creates nobody
    assert result.exit_code != 0
    assert reason in result.stderr
    with in_tenant(tenant_a):
        assert not User.objects.filter(email="someone@example.com").exists()
