"""The SLA API: /api/v1/slas/ (by slug) with its versions, /api/v1/partners/{ref}/sla/
(effective SLA and overrides) and /api/v1/requests/ with their clocks; every error in
the one JSON shape {"status", "code", "message", "errors"}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from partners.models import Partner
from slas.models import PartnerRequest, SlaPolicy, SlaPolicyVersion
from slas.services import partner_request_open
from tests.api_calls import error, field_errors, ok, patch, post, put
from tests.conftest import TenantClient
from tests.slas.policies import FRIDAY_4PM

SLAS = "/api/v1/slas/"
REQUESTS = "/api/v1/requests/"


def sla_url(slug: str) -> str:
    return f"{SLAS}{slug}/"


def versions_url(slug: str) -> str:
    return f"{SLAS}{slug}/versions/"


def partner_sla_url(ref: str) -> str:
    return f"/api/v1/partners/{ref}/sla/"


def request_url(pk: int | str, action: str = "") -> str:
    return f"{REQUESTS}{pk}/" + (f"{action}/" if action else "")


def policy_state(in_alpha: Callable[..., Any]) -> list[tuple[str, int, bool]]:
    """What a refused write must leave as it was."""
    return in_alpha(lambda: sorted(SlaPolicy.objects.values_list("slug", "version", "is_default")))


# --- who may call ---------------------------------------------------------------------------


ENDPOINTS = [
    ("get", SLAS),
    ("post", SLAS),
    ("get", sla_url("standard")),
    ("put", sla_url("standard")),
    ("patch", sla_url("standard")),
    ("get", versions_url("standard")),
    ("get", partner_sla_url("northwind")),
    ("put", partner_sla_url("northwind")),
    ("get", REQUESTS),
    ("post", REQUESTS),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_callers_without_credentials_get_401(
    client_a: TenantClient, northwind: Partner, method: str, url: str
) -> None:
    # when a stranger calls without a key or a session
    response = getattr(client_a, method)(url)

    # then they are told to authenticate, with a Bearer challenge
    body = error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert (body["code"], body["errors"]) == ("not_authenticated", {})


def test_partner_users_get_403_on_the_staff_endpoints(
    logged_in_client: Callable[..., TenantClient],
    tenant_a: Any,
    northwind: Partner,
    in_alpha: Callable[..., Any],
) -> None:
    # given a signed-in user of northwind, and a request of northwind
    portal = logged_in_client(tenant_a, "partner", partner=northwind)
    request = in_alpha(lambda: partner_request_open(partner=northwind, subject="Help"))

    # when it calls the SLA API, even about its own partner and its own request
    responses = {
        f"{method.upper()} {url}": getattr(portal, method)(url, content_type="application/json")
        for method, url in [
            *ENDPOINTS,
            ("get", request_url(request.pk)),
            ("post", request_url(request.pk, "respond")),
        ]
    }

    # then every call is refused (partner users see their SLA in the portal, not here)
    statuses = {call: response.status_code for call, response in responses.items()}
    assert statuses == dict.fromkeys(responses, 403)
    assert error(responses[f"GET {REQUESTS}"], 403)["message"] == (
        "Your account or API key may not do this."
    )
    in_alpha(request.refresh_from_db)
    assert request.first_response_at is None


def test_a_read_only_key_reads_and_every_write_is_refused(
    api_client: Callable[..., TenantClient],
    tenant_a: Any,
    northwind: Partner,
    in_alpha: Callable[..., Any],
) -> None:
    # given a request of northwind, and a key with the read scope only
    request = in_alpha(lambda: partner_request_open(partner=northwind, subject="Help"))
    read_only = api_client(tenant_a, scopes=["read"])
    before = policy_state(in_alpha)

    # when it reads, then it may
    for url in (SLAS, sla_url("weekdays"), versions_url("weekdays"), REQUESTS):
        assert read_only.get(url).status_code == 200, url
    assert read_only.get(partner_sla_url("northwind")).status_code == 200
    assert read_only.get(request_url(request.pk)).status_code == 200

    # when it writes anything, then it is refused, naming the missing scope
    writes = [
        post(read_only, SLAS, {"slug": "gold", "name": "Gold"}),
        put(read_only, sla_url("weekdays"), {"slug": "weekdays", "name": "Renamed"}),
        patch(read_only, sla_url("weekdays"), {"is_default": True}),
        put(read_only, partner_sla_url("northwind"), {"overrides": {"resolution_hours": 1}}),
        post(read_only, REQUESTS, {"partner": "northwind", "subject": "More"}),
        post(read_only, request_url(request.pk, "respond")),
        post(read_only, request_url(request.pk, "resolve")),
    ]
    for response in writes:
        assert error(response, 403)["message"] == 'This API key lacks the "write" scope.'

    # and nothing changed
    assert policy_state(in_alpha) == before
    assert in_alpha(lambda: PartnerRequest.objects.count()) == 1
    in_alpha(request.refresh_from_db)
    assert (request.first_response_at, request.resolved_at) == (None, None)


def test_channel_managers_read_policies_with_their_session_but_change_none(
    alpha_manager: TenantClient,
    alpha_admin: TenantClient,
    northwind: Partner,
    in_alpha: Callable[..., Any],
) -> None:
    # given the seeded default "standard" and "weekdays"
    before = policy_state(in_alpha)

    # when a signed-in manager reads the policies through the API, then they may
    assert [row["slug"] for row in ok(alpha_manager.get(SLAS))["results"]] == [
        "standard",
        "weekdays",
    ]
    assert alpha_manager.get(versions_url("weekdays")).status_code == 200

    # when they create a policy, change its targets or make another the default
    refused = [
        post(alpha_manager, SLAS, {"slug": "gold", "name": "Gold"}),
        put(alpha_manager, sla_url("weekdays"), {"slug": "weekdays", "name": "Renamed"}),
        patch(alpha_manager, sla_url("weekdays"), {"resolution_hours": "1"}),
        patch(alpha_manager, sla_url("weekdays"), {"is_default": True}),
    ]

    # then each is refused as the page refuses it, saying whose these are
    for response in refused:
        body = error(response, 403)
        assert body["code"] == "permission_denied"
        assert body["message"].startswith("SLA policies, the default policy and partner tiers")
    assert policy_state(in_alpha) == before

    # and an administrator's session may, recorded as theirs
    created = ok(post(alpha_admin, SLAS, {"slug": "gold", "name": "Gold"}), 201)
    assert created["slug"] == "gold"
    (version,) = ok(alpha_admin.get(versions_url("gold")))
    assert version["created_by"] == alpha_admin.user.email


# --- /api/v1/slas/ ------------------------------------------------------------------------------


def test_the_list_has_every_policy_with_its_targets_as_strings(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # given the seeded default policy and "weekdays"

    # when the policies are listed
    body = ok(alpha_api.get(SLAS))

    # then both are there by name, each with its targets, decimals as strings
    rows = {row["slug"]: row for row in body["results"]}
    assert body["count"] == 2
    assert list(rows) == ["standard", "weekdays"]
    standard = rows["standard"]
    assert standard["is_default"] is True
    assert standard["name"] == "Standard partner SLA"
    assert standard["first_response_hours"] == "4.00"
    assert standard["resolution_hours"] == "24.00"
    assert standard["min_monthly_won_orders"] == 1
    assert standard["min_monthly_revenue"] is None
    assert rows["weekdays"]["is_default"] is False
    assert rows["weekdays"]["working_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert rows["weekdays"]["working_hours_start"] == "09:00"
    # and the default alone answers the filter
    only_default = ok(alpha_api.get(SLAS, {"is_default": "true"}))["results"]
    assert [row["slug"] for row in only_default] == ["standard"]


def test_creating_a_policy_answers_201_with_every_field(
    alpha_api: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # when an integrator creates a policy with every kind of field
    body = ok(
        post(
            alpha_api,
            SLAS,
            {
                "slug": "premium",
                "name": "Premium",
                "first_response_hours": "0.5",
                "resolution_hours": 8,
                "min_monthly_revenue": "12500.5",
                "uptime_percent": "99.95",
                "time_zone": "America/New_York",
                "working_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
                "working_hours_start": "08:00",
                "working_hours_end": "20:00",
                "holidays": ["2026-12-25"],
                "escalation_email": "duty@example.com",
                "review_cadence": "monthly",
            },
        ),
        201,
    )

    # then it answers the policy, decimals as strings, at version 1
    assert body["slug"] == "premium"
    assert body["first_response_hours"] == "0.50"
    assert body["resolution_hours"] == "8.00"
    assert body["min_monthly_revenue"] == "12500.50"
    assert body["uptime_percent"] == "99.950"
    assert body["holidays"] == ["2026-12-25"]
    assert body["working_hours_end"] == "20:00"
    assert (body["version"], body["is_default"]) == (1, False)
    # and its first version was made through the API by the key's user
    (version,) = ok(alpha_api.get(versions_url("premium")))
    assert version["number"] == 1
    assert version["changed_via"] == "api"
    assert version["created_by"] == alpha_api.user.email
    assert version["policy"]["time_zone"] == "America/New_York"
    assert in_alpha(lambda: SlaPolicy.objects.get(slug="premium").is_default) is False


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"first_response_hours": "soon"}, "first_response_hours", "A valid number is required."),
        ({"first_response_hours": "0"}, "first_response_hours", "out of range"),
        ({"resolution_hours": "1.234"}, "resolution_hours", "no more than 2 decimal places"),
        ({"uptime_percent": "101"}, "uptime_percent", "at most 100"),
        ({"min_monthly_calls": -1}, "min_monthly_calls", "greater than or equal to 0"),
        ({"time_zone": "Mars/Base"}, "time_zone", "“Mars/Base” is not a time zone"),
        ({"working_days": []}, "working_days", "This list may not be empty."),
        ({"working_days": ["someday"]}, "working_days", "is not a valid choice"),
        (
            {"working_hours_start": "18:00"},
            "working_hours_end",
            "Working hours must end after they start",
        ),
        ({"working_hours_start": "25:00"}, "working_hours_start", "Time has wrong format"),
        ({"holidays": ["2026-02-30"]}, "holidays", "Date has wrong format"),
        ({"escalation_email": "duty desk"}, "escalation_email", "valid email address"),
        ({"review_cadence": "weekly"}, "review_cadence", "is not a valid choice"),
        ({"slug": "has spaces"}, "slug", "letters, numbers, underscores or hyphens"),
        ({"slug": "standard"}, "slug", "Another policy already has the slug “standard”."),
        ({"name": ""}, "name", "This field may not be blank."),
    ],
)
def test_a_bad_field_answers_400_naming_it(
    alpha_api: TenantClient,
    in_alpha: Callable[..., Any],
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    # given a valid policy but for one field
    before = policy_state(in_alpha)

    # when it is created
    response = post(alpha_api, SLAS, {"slug": "gold", "name": "Gold", **body})

    # then the answer names that field alone, saying what is wrong, and nothing is saved
    errors = field_errors(response)
    assert set(errors) == {field}
    assert message in str(errors[field])
    assert policy_state(in_alpha) == before


def test_put_replaces_the_given_fields_and_makes_a_version(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # given the policy "weekdays" at version 1

    # when it is replaced with a new name and first-response target
    body = ok(
        put(
            alpha_api,
            sla_url("weekdays"),
            {"slug": "weekdays", "name": "Weekdays plus", "first_response_hours": "1"},
        )
    )

    # then it is at version 2, the history saying what changed and who did it
    assert (body["name"], body["first_response_hours"], body["version"]) == (
        "Weekdays plus",
        "1.00",
        2,
    )
    versions = ok(alpha_api.get(versions_url("weekdays")))
    assert [version["number"] for version in versions] == [2, 1]
    assert versions[0]["changed_fields"] == ["name", "first_response_hours"]
    assert versions[0]["changed_via"] == "api"
    assert versions[0]["created_by"] == alpha_api.user.email
    assert versions[1]["policy"]["first_response_hours"] == "2.00"


def test_put_without_the_required_fields_is_refused(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # when a policy is replaced without slug and name
    response = put(alpha_api, sla_url("weekdays"), {"first_response_hours": "1"})

    # then both are named
    assert set(field_errors(response)) == {"slug", "name"}


def test_patch_changes_one_field_and_an_unchanged_patch_makes_no_version(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # when a policy's resolution target is patched, and patched again to the same
    first = ok(patch(alpha_api, sla_url("weekdays"), {"resolution_hours": "12"}))
    again = ok(patch(alpha_api, sla_url("weekdays"), {"resolution_hours": "12.00"}))

    # then the first made version 2, the second nothing, and the rest is kept
    assert (first["version"], again["version"]) == (2, 2)
    assert again["resolution_hours"] == "12.00"
    assert again["first_response_hours"] == "2.00"
    assert len(ok(alpha_api.get(versions_url("weekdays")))) == 2


def test_patch_can_rename_a_slug(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # when the slug is changed
    body = ok(patch(alpha_api, sla_url("weekdays"), {"slug": "office-hours"}))

    # then the policy answers at its new address only, its partners still on it
    assert body["slug"] == "office-hours"
    assert alpha_api.get(sla_url("office-hours")).status_code == 200
    assert alpha_api.get(sla_url("weekdays")).status_code == 404
    assert in_alpha(lambda: Partner.objects.get(ref="northwind").sla.slug) == "office-hours"


def test_making_a_policy_the_default_moves_the_default(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # when "weekdays" is made the default
    body = ok(patch(alpha_api, sla_url("weekdays"), {"is_default": True}))

    # then it is the one default
    assert body["is_default"] is True
    rows = ok(alpha_api.get(SLAS))["results"]
    assert {row["slug"]: row["is_default"] for row in rows} == {
        "standard": False,
        "weekdays": True,
    }


def test_the_default_cannot_be_switched_off(
    alpha_api: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # when the default policy is patched to not be the default
    before = policy_state(in_alpha)
    response = patch(alpha_api, sla_url("standard"), {"is_default": False, "name": "Gone"})

    # then that is refused, saying what to do instead, and nothing changed
    assert field_errors(response) == {
        "is_default": ["Make another policy the default instead; a tenant always has one."]
    }
    assert policy_state(in_alpha) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", sla_url("nosuch")),
        ("put", sla_url("nosuch")),
        ("patch", sla_url("nosuch")),
        ("get", versions_url("nosuch")),
        ("get", partner_sla_url("nobody")),
        ("put", partner_sla_url("nobody")),
        ("get", request_url(999999)),
        ("post", request_url(999999, "respond")),
        ("post", request_url(999999, "resolve")),
    ],
)
def test_unknown_objects_answer_404(alpha_api: TenantClient, method: str, url: str) -> None:
    # when something that does not exist is asked for
    response = getattr(alpha_api, method)(
        url, {"slug": "x", "name": "X", "overrides": {}}, content_type="application/json"
    )

    # then the answer is 404 in the error shape
    assert error(response, 404)["code"] == "not_found"


def test_slas_are_not_deleted_through_the_api(alpha_api: TenantClient) -> None:
    # when the default policy is deleted through the API, then that is not a method here
    assert error(alpha_api.delete(sla_url("standard")), 405)["code"] == "method_not_allowed"


# --- /api/v1/partners/{ref}/sla/ --------------------------------------------------------------


def test_a_partners_effective_sla_inherits_what_it_does_not_override(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # when northwind's SLA is read before and after it overrides its first response
    plain = ok(alpha_api.get(partner_sla_url("northwind")))
    changed = ok(
        put(
            alpha_api,
            partner_sla_url("northwind"),
            {"overrides": {"first_response_hours": "0.5", "min_monthly_calls": 20}},
        )
    )

    # then at first every target is the policy's
    assert (plain["partner"], plain["policy"], plain["policy_version"]) == (
        "northwind",
        "weekdays",
        1,
    )
    assert plain["overrides"] == {}
    assert plain["targets"]["first_response_hours"] == "2.00"
    assert plain["calendar"] == {
        "time_zone": "UTC",
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "working_hours_start": "09:00",
        "working_hours_end": "17:00",
        "holidays": [],
    }
    # and afterwards the two overrides are its own, the rest still inherited
    assert changed["overrides"] == {"first_response_hours": "0.50", "min_monthly_calls": 20}
    assert changed["targets"] == {
        "first_response_hours": "0.50",
        "resolution_hours": "16.00",
        "lead_acceptance_hours": None,
        "min_monthly_revenue": None,
        "min_monthly_won_orders": None,
        "min_monthly_calls": 20,
        "uptime_percent": None,
    }
    assert ok(alpha_api.get(partner_sla_url("northwind"))) == changed


def test_managers_set_the_targets_of_their_own_partners_only(
    logged_in_client: Callable[..., TenantClient],
    tenant_a: Any,
    northwind: Partner,
    in_alpha: Callable[..., Any],
) -> None:
    # given northwind's channel manager and another manager, both signed in
    own = logged_in_client(tenant_a, "manager")
    other = logged_in_client(tenant_a, "manager")
    in_alpha(lambda: Partner.objects.filter(pk=northwind.pk).update(channel_manager=own.user))
    body = {"overrides": {"resolution_hours": "4"}}

    # when the other manager sets northwind's targets, then it is refused
    refused = error(put(other, partner_sla_url("northwind"), body), 403)
    assert refused["message"].startswith("Only the partner's channel manager or a tenant")
    assert ok(other.get(partner_sla_url("northwind")))["overrides"] == {}

    # when its own manager does, then they are set
    assert ok(put(own, partner_sla_url("northwind"), body))["overrides"] == {
        "resolution_hours": "4.00"
    }


def test_clearing_an_override_with_null_inherits_again(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # given northwind overrides two targets
    put(
        alpha_api,
        partner_sla_url("northwind"),
        {"overrides": {"first_response_hours": "1", "resolution_hours": "4"}},
    )

    # when one is patched to null
    body = ok(
        patch(alpha_api, partner_sla_url("northwind"), {"overrides": {"resolution_hours": None}})
    )

    # then it is the policy's again, the other still its own
    assert body["overrides"] == {"first_response_hours": "1.00"}
    assert body["targets"]["resolution_hours"] == "16.00"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"overrides": {"first_response_hours": "x"}}, {"first_response_hours"}),
        (
            {"overrides": {"time_zone": "UTC", "uptime_percent": 120}},
            {"time_zone", "uptime_percent"},
        ),
        ({"overrides": "fast"}, {"overrides"}),
        ({"first_response_hours": "1"}, {"overrides"}),
    ],
)
def test_bad_overrides_answer_400_naming_them(
    alpha_api: TenantClient,
    northwind: Partner,
    body: dict[str, Any],
    fields: set[str],
) -> None:
    # when bad overrides are sent
    response = put(alpha_api, partner_sla_url("northwind"), body)

    # then they are named, and northwind still inherits everything
    assert set(field_errors(response)) == fields
    assert ok(alpha_api.get(partner_sla_url("northwind")))["overrides"] == {}


# --- /api/v1/requests/ --------------------------------------------------------------------


def test_opening_a_request_answers_its_clocks(alpha_api: TenantClient, northwind: Partner) -> None:
    # when an integrator opens a request for northwind, opened Friday 16:00
    body = ok(
        post(
            alpha_api,
            REQUESTS,
            {
                "partner": "northwind",
                "subject": "Router will not boot",
                "opened_at": FRIDAY_4PM.isoformat(),
            },
        ),
        201,
    )

    # then it is timed by version 1 of weekdays: first answer due Monday 10:00
    assert body["partner"] == "northwind"
    assert (body["kind"], body["sla_version"]) == ("support", 1)
    assert body["raised_by"] == alpha_api.user.email
    first = body["clocks"]["first_response"]
    assert first["due_at"] == "2026-11-23T10:00:00Z"
    assert first["target_hours"] == "2.00"
    assert body["clocks"]["resolution"]["due_at"] == "2026-11-24T16:00:00Z"
    # (long past by now: breached, with all of the target and more used)
    assert first["state"] == "breached"
    assert isinstance(first["used"], str)
    assert first["business_seconds_left"] < 0
    # and the request is listed and readable by id
    assert [row["id"] for row in ok(alpha_api.get(REQUESTS))["results"]] == [body["id"]]
    assert ok(alpha_api.get(request_url(body["id"])))["subject"] == "Router will not boot"


def test_a_lead_has_only_the_acceptance_clock(alpha_api: TenantClient, northwind: Partner) -> None:
    # given weekdays now accepts leads within 4 business hours (version 2)
    ok(patch(alpha_api, sla_url("weekdays"), {"lead_acceptance_hours": "4"}))

    # when a lead is opened
    body = ok(
        post(alpha_api, REQUESTS, {"partner": "northwind", "subject": "Lead", "kind": "lead"}), 201
    )

    # then it is timed by the acceptance target, under version 2, without resolution clock
    assert body["sla_version"] == 2
    assert body["clocks"]["first_response"]["target_hours"] == "4.00"
    assert body["clocks"]["resolution"]["state"] == "none"
    # and it is found by kind
    assert [row["id"] for row in ok(alpha_api.get(REQUESTS, {"kind": "lead"}))["results"]] == [
        body["id"]
    ]
    assert ok(alpha_api.get(REQUESTS, {"kind": "support"}))["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"partner": "nobody", "subject": "Help"}, "partner"),
        ({"partner": "northwind"}, "subject"),
        ({"partner": "northwind", "subject": "  "}, "subject"),
        ({"partner": "northwind", "subject": "Help", "kind": "complaint"}, "kind"),
        ({"partner": "northwind", "subject": "Help", "opened_at": "Friday"}, "opened_at"),
    ],
)
def test_a_bad_request_answers_400_naming_the_field(
    alpha_api: TenantClient,
    northwind: Partner,
    in_alpha: Callable[..., Any],
    body: dict[str, Any],
    field: str,
) -> None:
    # when a request with one bad field is opened
    response = post(alpha_api, REQUESTS, body)

    # then that field is named and nothing is stored
    assert set(field_errors(response)) == {field}
    assert in_alpha(lambda: PartnerRequest.objects.count()) == 0


def test_responding_and_resolving_stop_the_clocks(
    alpha_api: TenantClient, northwind: Partner
) -> None:
    # given a request opened just now (2 business hours to answer)
    opened = ok(post(alpha_api, REQUESTS, {"partner": "northwind", "subject": "Help"}), 201)

    # when it is answered and then resolved right away
    answered = ok(post(alpha_api, request_url(opened["id"], "respond")))
    resolved = ok(post(alpha_api, request_url(opened["id"], "resolve")))

    # then both clocks are stopped and met
    assert answered["first_response_at"] is not None
    assert answered["resolved_at"] is None
    assert answered["clocks"]["first_response"]["state"] == "met"
    assert resolved["first_response_at"] == answered["first_response_at"]
    assert resolved["resolved_at"] is not None
    assert resolved["clocks"]["resolution"]["state"] == "met"


def test_a_late_answer_is_met_late(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given a request opened on a Friday afternoon long ago
    request = in_alpha(
        lambda: partner_request_open(partner=northwind, subject="Old", opened_at=FRIDAY_4PM)
    )

    # when it is answered now
    body = ok(post(alpha_api, request_url(request.pk, "respond")))

    # then the answer is recorded as met late, and the resolution clock still runs
    assert body["clocks"]["first_response"]["state"] == "missed"
    assert body["clocks"]["resolution"]["state"] == "breached"
    assert in_alpha(lambda: SlaPolicyVersion.objects.filter(policy__slug="weekdays").count()) == 1
