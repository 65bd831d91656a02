"""Issue 13, finding 4 replayed: managers did through the API what the pages refuse them.

The rule (prm.web.access, asked by the pages, the API and the templates alike):

- SLA policies (create, change targets, make one the default) and partner tiers
  (create, change, delete) are the tenant administrator's. An API key with the write
  scope may make them too: only administrators issue keys, so it carries their
  decision; a read key only reads.
- A partner's own SLA targets: its channel manager, an administrator, or a write key.
- Anyone else (another channel manager, a partner user) gets 403 and nothing changes.

Every write operation is tried by every role, through every door that has it; each
answer is checked against the table, and the tenant's SLA and tier state must have
changed exactly when the answer says the write was allowed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from partners.models import Tier
from partners.services import tier_create
from prm.web.access import PARTNER_TARGETS_REFUSAL, PROGRAMME_REFUSAL
from slas.models import PartnerSlaOverride, SlaPolicy
from tests.commands import run_manage
from tests.conftest import TenantClient, tenant_schema
from tests.factories import PartnerFactory
from tests.slas.policies import weekday_policy

ROLES = ["admin", "own_manager", "other_manager", "partner_user", "write_key", "read_key"]
OWN = "own-partner"
SCOPE_REFUSAL = 'This API key lacks the "write" scope.'
STAFF_REFUSAL = "Your account or API key may not do this."


@dataclass(frozen=True)
class World:
    tenant: Any
    clients: dict[str, TenantClient]


@pytest.fixture
def world(
    tenant_a: Any,
    logged_in_client: Callable[..., TenantClient],
    api_client: Callable[..., TenantClient],
) -> World:
    """In alpha: the default policy and "weekdays", a tier "gold", a partner with its
    channel manager and a partner user; a client for each role."""
    own_manager = logged_in_client(tenant_a, "manager")
    with tenant_schema(tenant_a):
        weekday_policy()
        tier_create(actor=None, slug="gold", name="Gold", benefits="30% margin")
        partner = PartnerFactory.create(ref=OWN, channel_manager=own_manager.user)
    return World(
        tenant=tenant_a,
        clients={
            "admin": logged_in_client(tenant_a, "admin"),
            "own_manager": own_manager,
            "other_manager": logged_in_client(tenant_a, "manager"),
            "partner_user": logged_in_client(tenant_a, "partner", partner=partner),
            "write_key": api_client(tenant_a, scopes=["read", "write"]),
            "read_key": api_client(tenant_a, scopes=["read"]),
        },
    )


def state(tenant: Any) -> Any:
    """Everything the writes below can change."""
    with tenant_schema(tenant):
        return (
            sorted(SlaPolicy.objects.values_list("slug", "name", "version", "is_default")),
            sorted(Tier.objects.values_list("slug", "name", "benefits")),
            sorted(
                PartnerSlaOverride.objects.values_list(
                    "partner__ref", "first_response_hours", "resolution_hours"
                )
            ),
        )


# --- the operations --------------------------------------------------------------------


def _json(client: TenantClient, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, body, content_type="application/json")


POLICY_FORM = {
    "name": "Gold SLA",
    "time_zone": "UTC",
    "working_days": ["mon", "tue", "wed", "thu", "fri"],
    "working_hours_start": "09:00",
    "working_hours_end": "17:00",
    "first_response_hours": "1",
    "review_cadence": "quarterly",
}

# name -> (door, what it does, rule it falls under)
OPERATIONS: dict[str, tuple[str, Callable[[TenantClient], Any], str]] = {
    "api: create a policy": (
        "api",
        lambda c: _json(c, "post", "/api/v1/slas/", {"slug": "gold-sla", "name": "Gold SLA"}),
        "programme",
    ),
    "api: replace a policy": (
        "api",
        lambda c: _json(
            c, "put", "/api/v1/slas/weekdays/", {"slug": "weekdays", "name": "Renamed"}
        ),
        "programme",
    ),
    "api: change a policy's targets": (
        "api",
        lambda c: _json(c, "patch", "/api/v1/slas/weekdays/", {"resolution_hours": "6"}),
        "programme",
    ),
    "api: make a policy the default": (
        "api",
        lambda c: _json(c, "patch", "/api/v1/slas/weekdays/", {"is_default": True}),
        "programme",
    ),
    "api: create a tier": (
        "api",
        lambda c: _json(c, "post", "/api/v1/tiers/", {"slug": "silver", "name": "Silver"}),
        "programme",
    ),
    "api: change a tier's programme terms": (
        "api",
        lambda c: _json(c, "patch", "/api/v1/tiers/gold/", {"benefits": "40% margin"}),
        "programme",
    ),
    "api: replace a tier": (
        "api",
        lambda c: _json(c, "put", "/api/v1/tiers/gold/", {"slug": "gold", "name": "Golden"}),
        "programme",
    ),
    "api: delete a tier": ("api", lambda c: c.delete("/api/v1/tiers/gold/"), "programme"),
    "api: set a partner's own targets": (
        "api",
        lambda c: _json(
            c, "put", f"/api/v1/partners/{OWN}/sla/", {"overrides": {"resolution_hours": "6"}}
        ),
        "partner_targets",
    ),
    "api: clear a partner's own targets": (
        "api",
        lambda c: _json(
            c, "patch", f"/api/v1/partners/{OWN}/sla/", {"overrides": {"first_response_hours": 2}}
        ),
        "partner_targets",
    ),
    "page: create a policy": (
        "page",
        lambda c: c.post(reverse("slas:policy_new"), {**POLICY_FORM, "slug": "gold-sla"}),
        "programme",
    ),
    "page: change a policy's targets": (
        "page",
        lambda c: c.post(reverse("slas:policy_edit", args=["weekdays"]), POLICY_FORM),
        "programme",
    ),
    "page: make a policy the default": (
        "page",
        lambda c: c.post(reverse("slas:settings"), {"policy": "weekdays"}),
        "programme",
    ),
    "page: create a tier": (
        "page",
        lambda c: c.post(
            reverse("partners:tier_new"), {"slug": "silver", "name": "Silver", "rank": 1}
        ),
        "programme",
    ),
    "page: change a tier's programme terms": (
        "page",
        lambda c: c.post(
            reverse("partners:tier_edit", args=["gold"]),
            {"slug": "gold", "name": "Gold", "rank": 0, "benefits": "40% margin"},
        ),
        "programme",
    ),
    "page: delete a tier": (
        "page",
        lambda c: c.post(reverse("partners:tier_delete", args=["gold"])),
        "programme",
    ),
    "page: set a partner's own targets": (
        "page",
        lambda c: c.post(reverse("slas:override", args=[OWN]), {"resolution_hours": "6"}),
        "partner_targets",
    ),
}

ALLOWED = {
    "programme": {"admin", "write_key"},
    "partner_targets": {"admin", "own_manager", "write_key"},
}


def expected(door: str, rule: str, role: str) -> tuple[set[int], str | None]:
    """The statuses the role may get for the operation, and the refusal it must read."""
    if door == "page" and role.endswith("_key"):
        return {302}, None  # pages know no API keys: off to the sign-in page
    if role in ALLOWED[rule]:
        return ({302} if door == "page" else {200, 201, 204}), None
    if role == "read_key":
        return {403}, SCOPE_REFUSAL
    if role == "partner_user" and door == "api":
        return {403}, STAFF_REFUSAL  # no API for partner users at all
    if role == "partner_user":
        return {403}, None  # the staff pages refuse partner users before any rule
    return {403}, PROGRAMME_REFUSAL if rule == "programme" else PARTNER_TARGETS_REFUSAL


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_write_follows_the_rule_for_every_role(
    world: World, operation: str, role: str
) -> None:
    door, write, rule = OPERATIONS[operation]
    statuses, refusal = expected(door, rule, role)
    before = state(world.tenant)

    # when the role tries the write
    response = write(world.clients[role])

    # then the answer is the table's, with the rule's message when refused
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    if response.status_code == 302 and role.endswith("_key"):
        assert response["Location"].startswith(reverse("accounts:login"))
    if refusal is not None and door == "api":
        assert response.json()["message"] == refusal
    if refusal is not None and door == "page":
        assert refusal in html.unescape(response.content.decode())
    # and the tenant changed exactly when the write was allowed
    allowed = role in ALLOWED[rule] and not (door == "page" and role.endswith("_key"))
    assert (state(world.tenant) != before) is allowed


# --- what the pages show --------------------------------------------------------------


PROGRAMME_LINKS = {
    "slas:list": [reverse("slas:policy_new"), reverse("slas:settings")],
    "slas:policy_detail": [reverse("slas:policy_edit", args=["weekdays"])],
    "partners:tiers": [
        reverse("partners:tier_new"),
        reverse("partners:tier_edit", args=["gold"]),
        reverse("partners:tier_delete", args=["gold"]),
    ],
}


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("own_manager", False)])
def test_the_policy_pages_show_the_administrators_buttons_to_administrators_only(
    world: World, role: str, shown: bool
) -> None:
    client = world.clients[role]
    for page, links in PROGRAMME_LINKS.items():
        # when the role opens the page
        args = ["weekdays"] if page == "slas:policy_detail" else []
        page_html = client.get(reverse(page, args=args)).content.decode()

        # then the links to pages it may not use are there only if it may use them
        for link in links:
            assert (f'="{link}"' in page_html) is shown, (page, link)  # href= or action=


@pytest.mark.parametrize("role", ["admin", "own_manager", "other_manager"])
def test_the_partner_page_offers_own_targets_only_to_who_may_set_them(
    world: World, role: str
) -> None:
    # when the role opens the partner's page
    page = world.clients[role].get(reverse("partners:detail", args=[OWN])).content.decode()

    # then the SLA panel is there for every staff member, its "Set own targets" link
    # only for the partner's manager and administrators
    assert 'id="sla"' in page
    link = f'href="{reverse("slas:override", args=[OWN])}"'
    assert (link in page) is (role != "other_manager")


def test_a_manager_reaching_an_administrators_page_reads_why(world: World) -> None:
    # when a manager opens the policy and tier forms, the SLA settings and another
    # manager's partner's targets
    manager = world.clients["other_manager"]
    answers = {
        reverse("slas:policy_new"): PROGRAMME_REFUSAL,
        reverse("slas:policy_edit", args=["weekdays"]): PROGRAMME_REFUSAL,
        reverse("slas:settings"): PROGRAMME_REFUSAL,
        reverse("partners:tier_new"): PROGRAMME_REFUSAL,
        reverse("partners:tier_edit", args=["gold"]): PROGRAMME_REFUSAL,
        reverse("slas:override", args=[OWN]): PARTNER_TARGETS_REFUSAL,
    }

    # then each answers 403 saying whose the change is
    for url, refusal in answers.items():
        response = manager.get(url)
        assert response.status_code == 403, url
        assert refusal in html.unescape(response.content.decode()), url


def test_the_operators_command_still_sets_the_default(world: World, tmp_path: Path) -> None:
    # given a file with a new default policy
    path = tmp_path / "defaults.yaml"
    path.write_text("slug: operator\nname: Operator default\nfirst_response_hours: 3\n")

    # when the operator runs sla_defaults for alpha (the server's door has no role)
    result = run_manage("sla_defaults", "--tenant", world.tenant.slug, str(path))

    # then it is alpha's default
    assert result.exit_code == 0, result.stderr
    with tenant_schema(world.tenant):
        default = SlaPolicy.objects.get(is_default=True)
        assert (default.slug, str(default.first_response_hours)) == ("operator", "3.00")
