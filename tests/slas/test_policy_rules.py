"""The rules every SLA policy and every partner's own targets keep (slas.rules), at each
door (the API, the pages, `manage.py sla_defaults`), and what happens to a policy
stored before them: a clear 409 or form message when a request is opened, and clock
evaluation that logs it and goes on, never a crash."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from partners.models import Partner
from slas import services
from slas.calendar import LOOKAHEAD_DAYS, MAX_DAYS, BusinessCalendar
from slas.models import PartnerRequest, PartnerSlaOverride, SlaPolicy, SlaPolicyVersion
from tests.api_calls import error, field_errors, patch, post, put
from tests.commands import run_manage
from tests.conftest import TenantClient
from tests.factories import PartnerFactory
from tests.slas.policies import MONDAY_TO_FRIDAY, weekday_policy

SLAS = "/api/v1/slas/"
REQUESTS = "/api/v1/requests/"


def every_saturday(weeks: int = MAX_DAYS // 7 + 3) -> list[str]:
    """Every Saturday from the last one before today for longer than the clocks look
    ahead: on a Saturday-only calendar, holidays that leave no working time."""
    day = date.today() - timedelta(days=7)
    day += timedelta(days=(5 - day.weekday()) % 7)
    return [(day + timedelta(weeks=week)).isoformat() for week in range(weeks)]


def policies(in_alpha: Callable[..., Any]) -> list[tuple[Any, ...]]:
    """What a refused write must leave as it was."""
    return in_alpha(
        lambda: [
            *sorted(
                SlaPolicy.objects.values_list(
                    "slug", "version", "first_response_hours", "resolution_hours", "holidays"
                )
            ),
            ("versions", SlaPolicyVersion.objects.count()),
        ]
    )


def overrides(in_alpha: Callable[..., Any]) -> list[tuple[Any, ...]]:
    return in_alpha(
        lambda: list(
            PartnerSlaOverride.objects.values_list(
                "partner__ref", "first_response_hours", "resolution_hours"
            )
        )
    )


# --- the rules, through the API ------------------------------------------------------------


def test_a_new_policy_resolved_before_its_first_response_is_refused_naming_resolution(
    alpha_api: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # given the policies as they are
    before = policies(in_alpha)

    # when a policy is created that resolves in 8 hours but answers in 30
    response = post(
        alpha_api,
        SLAS,
        {"slug": "gold", "name": "Gold", "first_response_hours": "30", "resolution_hours": "8"},
    )

    # then resolution is named, saying both values and how to fix it; nothing is saved
    assert field_errors(response) == {
        "resolution_hours": [
            "Resolution (8 business hours) is shorter than first response (30 business "
            "hours): a request is answered first and resolved after. Make resolution at "
            "least 30 business hours, or first response at most 8 business hours."
        ]
    }
    assert policies(in_alpha) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_response_hours": "20"}, "first_response_hours"),
        ({"resolution_hours": "1"}, "resolution_hours"),
        ({"first_response_hours": "9", "resolution_hours": "3"}, "resolution_hours"),
    ],
)
def test_an_update_is_judged_with_the_targets_it_keeps(
    alpha_api: TenantClient,
    northwind: Partner,
    in_alpha: Callable[..., Any],
    change: dict[str, str],
    field: str,
) -> None:
    # given "weekdays" answers in 2 hours and resolves in 16
    before = policies(in_alpha)

    # when one target is patched past the other it keeps (or both, the wrong way round)
    response = patch(alpha_api, f"{SLAS}weekdays/", change)

    # then the field that was changed is named, and no version is made
    errors = field_errors(response)
    assert list(errors) == [field]
    assert "is shorter than first response" in errors[field][0]
    assert policies(in_alpha) == before


@pytest.mark.parametrize(
    ("calendar", "field", "message"),
    [
        (
            {"working_days": ["mon"], "working_hours_start": "09:00", "working_hours_end": "09:30"},
            "working_hours_end",
            "This support calendar has 30 minutes of working time a week; SLA clocks need "
            "at least 1 hour.",
        ),
        (
            {"working_hours_start": "09:00", "working_hours_end": "09:00"},
            "working_hours_end",
            "Working hours must end after they start",
        ),
        (
            {"working_days": ["sat"], "holidays": every_saturday()},
            "holidays",
            "The holidays leave no working time from",
        ),
        (
            {"resolution_hours": "5000"},
            "resolution_hours",
            "5000 business hours of resolution do not fit in the support calendar",
        ),
    ],
)
def test_a_calendar_that_cannot_place_deadlines_is_refused_naming_the_field(
    alpha_api: TenantClient,
    in_alpha: Callable[..., Any],
    calendar: dict[str, Any],
    field: str,
    message: str,
) -> None:
    # given the policies as they are
    before = policies(in_alpha)

    # when a policy is created whose calendar has (almost) no working time, or a
    # target longer than its calendar holds in the days the clocks look ahead
    response = post(
        alpha_api,
        SLAS,
        {"slug": "gold", "name": "Gold", "first_response_hours": "2", **calendar},
    )

    # then that field alone is named, saying what is wrong; nothing is saved
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert policies(in_alpha) == before


def test_holidays_patched_over_every_working_day_are_refused(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given "weekdays" on a Saturday-only calendar
    assert patch(alpha_api, f"{SLAS}weekdays/", {"working_days": ["sat"]}).status_code == 200
    before = policies(in_alpha)

    # when every Saturday for the next two years and more is made a holiday
    response = patch(alpha_api, f"{SLAS}weekdays/", {"holidays": every_saturday()})

    # then the holidays are named, with the stretch they leave without working time
    (message,) = field_errors(response)["holidays"]
    assert message.startswith("The holidays leave no working time from ")
    assert f"SLA clocks look at most {MAX_DAYS} days ahead" in message
    assert policies(in_alpha) == before


# --- a partner's own targets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("own", "field", "message"),
    [
        (
            {"resolution_hours": "1"},
            "resolution_hours",
            "Resolution (1 business hour, Northwind's own target) is shorter than first "
            "response (2 business hours, inherited from Weekdays (weekdays))",
        ),
        (
            {"first_response_hours": "20"},
            "first_response_hours",
            "Resolution (16 business hours, inherited from Weekdays (weekdays)) is shorter "
            "than first response (20 business hours, Northwind's own target)",
        ),
        (
            {"lead_acceptance_hours": "99999"},
            "lead_acceptance_hours",
            "99999 business hours of lead acceptance (Northwind's own target) do not fit",
        ),
    ],
)
def test_an_override_that_breaks_the_rules_answers_400_and_stores_nothing(
    alpha_api: TenantClient,
    northwind: Partner,
    in_alpha: Callable[..., Any],
    own: dict[str, str],
    field: str,
    message: str,
) -> None:
    # when northwind's own targets are set against its policy's
    response = put(alpha_api, "/api/v1/partners/northwind/sla/", {"overrides": own})

    # then the target is named with where each value comes from; nothing is stored
    errors = field_errors(response)
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert overrides(in_alpha) == []


def test_a_policy_change_that_breaks_a_partners_own_targets_is_refused(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given northwind answers in 10 hours by its own target (within the 16 to resolve)
    ok = put(
        alpha_api,
        "/api/v1/partners/northwind/sla/",
        {"overrides": {"first_response_hours": "10"}},
    )
    assert ok.status_code == 200, ok.content
    before = policies(in_alpha)

    # when its policy is changed to resolve in 8 hours
    response = patch(alpha_api, f"{SLAS}weekdays/", {"resolution_hours": "8"})

    # then the policy's field is named with the partner it would break
    (message,) = field_errors(response)["resolution_hours"]
    assert message.startswith(
        "Resolution (8 business hours, inherited from Weekdays (weekdays)) is shorter than "
        "first response (10 business hours, Northwind's own target)"
    )
    assert policies(in_alpha) == before


def test_a_policy_change_names_three_partners_it_breaks_and_counts_the_rest(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given four partners on "weekdays" answering in 10 hours by their own targets
    def given() -> None:
        for name in ("Alder", "Birch", "Cedar", "Daphne"):
            partner = PartnerFactory.create(name=name, sla=northwind.sla)
            services.partner_sla_override_set(
                partner=partner, targets={"first_response_hours": "10"}, actor=None
            )

    in_alpha(given)

    # when the policy is changed to resolve in 8 hours
    response = patch(alpha_api, f"{SLAS}weekdays/", {"resolution_hours": "8"})

    # then the first three (by name) are said, and how many more there are
    messages = field_errors(response)["resolution_hours"]
    assert len(messages) == 4
    for name, message in zip(("Alder", "Birch", "Cedar"), messages, strict=False):
        assert f"first response (10 business hours, {name}'s own target)" in message
    assert messages[3].startswith("And 1 more like these, for other partners")


# --- the pages ---------------------------------------------------------------------------------


def policy_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Premium",
        "slug": "premium",
        "first_response_hours": "1",
        "resolution_hours": "8",
        "time_zone": "UTC",
        "working_days": MONDAY_TO_FRIDAY,
        "working_hours_start": "09:00",
        "working_hours_end": "17:00",
        "holidays": "",
        "review_cadence": "quarterly",
        **fields,
    }


def test_the_new_policy_form_shows_the_rule_on_the_field(
    alpha_admin: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # given the policies as they are
    before = policies(in_alpha)

    # when an administrator sends a policy resolved before its first response
    response = alpha_admin.post(
        reverse("slas:policy_new"), policy_form(first_response_hours="30", resolution_hours="8")
    )

    # then the form comes back with the message on the resolution field
    assert response.status_code == 200
    (message,) = response.context["form"].errors["resolution_hours"]
    assert message.startswith("Resolution (8 business hours) is shorter than first response")
    assert 'id="id_resolution_hours-errors"' in response.content.decode()
    assert policies(in_alpha) == before


def test_the_edit_form_refuses_holidays_over_every_working_day(
    alpha_admin: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given "weekdays" at version 1
    before = policies(in_alpha)

    # when it is sent working on Saturdays only, every Saturday a holiday
    response = alpha_admin.post(
        reverse("slas:policy_edit", args=["weekdays"]),
        policy_form(name="Weekdays", working_days=["sat"], holidays="\n".join(every_saturday())),
    )

    # then the holidays field says so, and nothing was saved
    assert response.status_code == 200
    (message,) = response.context["form"].errors["holidays"]
    assert message.startswith("The holidays leave no working time from ")
    assert policies(in_alpha) == before


def test_the_partner_targets_form_shows_the_rule_on_the_field(
    alpha_admin: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # when northwind's own resolution is set below its policy's first response
    response = alpha_admin.post(
        reverse("slas:override", args=["northwind"]), {"resolution_hours": "1"}
    )

    # then the form shows it on the field, and northwind keeps inheriting
    assert response.status_code == 200
    (message,) = response.context["form"].errors["resolution_hours"]
    assert "is shorter than first response (2 business hours" in message
    assert overrides(in_alpha) == []


# --- manage.py sla_defaults ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"first_response_hours": 30, "resolution_hours": 8},
            "resolution_hours",
            "Resolution (8 business hours) is shorter than first response",
        ),
        (
            {"working_days": ["sat"], "holidays": every_saturday()},
            "holidays",
            "The holidays leave no working time from",
        ),
        (
            {"working_hours_start": "09:00", "working_hours_end": "09:20", "working_days": ["mon"]},
            "working_hours_end",
            "This support calendar has 20 minutes of working time a week",
        ),
    ],
)
@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_sla_defaults_refuses_a_file_that_breaks_a_rule(
    db: None,
    tmp_path: Path,
    in_alpha: Callable[..., Any],
    fields: dict[str, Any],
    field: str,
    message: str,
    suffix: str,
) -> None:
    # given a policy file breaking one rule, as JSON or as YAML
    before = policies(in_alpha)
    policy = {"slug": "terms", "name": "Terms", **fields}
    path = tmp_path / f"defaults.{suffix}"
    text = json.dumps(policy) if suffix == "json" else yaml.safe_dump(policy)
    path.write_text(text, encoding="utf-8")

    # when it is applied to alpha
    result = run_manage("sla_defaults", "--tenant", "alpha", str(path))

    # then the command fails naming the field and the rule, and nothing changed
    assert result.exit_code != 0
    assert f"{field}: {message}" in result.stderr
    assert result.stdout == ""
    assert policies(in_alpha) == before
    assert in_alpha(lambda: SlaPolicy.objects.get(is_default=True).slug) == "standard"


# --- a policy stored before the rules -----------------------------------------------------------


def stored_around_the_rules(**fields: Any) -> SlaPolicy:
    """A policy written straight to the database, as one saved before slas.rules."""
    values = {
        "slug": "legacy",
        "name": "Legacy terms",
        "first_response_hours": 2,
        "resolution_hours": 16,
        **fields,
    }
    return SlaPolicy.objects.create(**values)


BAD_STORED_POLICIES: dict[str, dict[str, Any]] = {
    "no working days": {"working_days": []},
    "hours that end before they start": {
        "working_hours_start": datetime(2026, 1, 1, 17).time(),
        "working_hours_end": datetime(2026, 1, 1, 9).time(),
    },
    "holidays over every working day": {
        "working_days": ["sat"],
        "holidays": [date.fromisoformat(day) for day in every_saturday()],
    },
    "a target longer than the calendar holds": {"resolution_hours": 99999},
}


@pytest.mark.parametrize("fields", BAD_STORED_POLICIES.values(), ids=BAD_STORED_POLICIES.keys())
def test_opening_a_request_on_a_policy_stored_before_the_rules_answers_409(
    alpha_api: TenantClient, in_alpha: Callable[..., Any], fields: dict[str, Any]
) -> None:
    # given a partner on a policy that cannot place deadlines, stored around the rules
    in_alpha(
        lambda: PartnerFactory.create(ref="legacy-partner", sla=stored_around_the_rules(**fields))
    )

    # when a request is opened for it through the API
    response = post(alpha_api, REQUESTS, {"partner": "legacy-partner", "subject": "Help"})

    # then the answer is a JSON conflict naming the policy and who can fix it
    body = error(response, 409)
    assert body["code"] == "conflict"
    assert "cannot be set under SLA policy “Legacy terms” (version 1)" in body["message"]
    assert "A tenant administrator must correct" in body["message"]
    assert in_alpha(lambda: PartnerRequest.objects.count()) == 0


def test_the_request_page_explains_a_policy_stored_before_the_rules(
    alpha_manager: TenantClient, in_alpha: Callable[..., Any]
) -> None:
    # given a partner on a Saturday-only policy whose every Saturday is a holiday
    in_alpha(
        lambda: PartnerFactory.create(
            ref="legacy-partner",
            sla=stored_around_the_rules(**BAD_STORED_POLICIES["holidays over every working day"]),
        )
    )

    # when a manager raises a request for it
    response = alpha_manager.post(
        reverse("slas:request_new"),
        {"partner": "legacy-partner", "kind": "support", "subject": "Help"},
    )

    # then the form says why, and nothing is stored
    assert response.status_code == 200
    (message,) = response.context["form"].non_field_errors()
    assert "The support calendar has no working time in the 800 days after" in message
    assert in_alpha(lambda: PartnerRequest.objects.count()) == 0


def test_clock_evaluation_logs_an_unreadable_calendar_and_evaluates_the_rest(
    alpha_api: TenantClient,
    in_alpha: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given two requests opened a week ago (both long breached), one of them under a
    # version whose calendar was since written over with no working days
    def given() -> tuple[PartnerRequest, PartnerRequest]:
        week_ago = timezone.now() - timedelta(days=7)
        good = services.partner_request_open(
            partner=PartnerFactory.create(sla=weekday_policy("good")),
            subject="Good",
            opened_at=week_ago,
        )
        bad = services.partner_request_open(
            partner=PartnerFactory.create(sla=weekday_policy("bad")),
            subject="Bad",
            opened_at=week_ago,
        )
        assert bad.sla_version is not None
        version = bad.sla_version
        SlaPolicyVersion.objects.filter(pk=version.pk).update(
            data={**version.data, "working_days": []}
        )
        return good, bad

    good, bad = in_alpha(given)

    # when the clocks are evaluated
    with caplog.at_level(logging.WARNING, logger="slas.services"):
        raised = in_alpha(services.sla_clocks_evaluate)

    # then the good request's two breaches are raised, the bad one is logged and skipped
    assert raised == 2
    assert in_alpha(lambda: sorted(good.events.values_list("clock", "kind"))) == [
        ("first_response", "breached"),
        ("resolution", "breached"),
    ]
    assert in_alpha(lambda: bad.events.count()) == 0
    assert f"SLA clocks of request {bad.pk}" in caplog.text
    assert "needs at least one working day" in caplog.text
    # and the API still lists both, the bad one with its deadlines but no reading
    rows = {row["subject"]: row for row in alpha_api.get(REQUESTS).json()["results"]}
    assert rows["Good"]["clocks"]["first_response"]["state"] == "breached"
    assert rows["Bad"]["clocks"]["first_response"]["due_at"] is not None
    assert rows["Bad"]["clocks"]["first_response"]["used"] is None


def test_a_request_open_longer_than_the_lookahead_still_reads_its_clocks(
    alpha_api: TenantClient, northwind: Partner, in_alpha: Callable[..., Any]
) -> None:
    # given a request opened three years ago and never answered
    opened = timezone.now() - timedelta(days=3 * 365)
    request = in_alpha(
        lambda: services.partner_request_open(partner=northwind, subject="Old", opened_at=opened)
    )

    # when it is read through the API, and the clocks are evaluated
    response = alpha_api.get(f"{REQUESTS}{request.pk}/")
    raised = in_alpha(services.sla_clocks_evaluate)

    # then both clocks are breached by years of business time, no error
    assert response.status_code == 200, response.content
    clocks = response.json()["clocks"]
    assert clocks["first_response"]["state"] == "breached"
    assert clocks["resolution"]["business_seconds_left"] < -2 * 365 * 5 / 7 * 8 * 3600
    assert raised == 2


# --- the calendar's least working time ----------------------------------------------------------


def brute_force_least(calendar: BusinessCalendar, from_day: date, days: int, span: int) -> Any:
    """Every stretch of `days` days starting in the `span` days from `from_day`."""
    hours = calendar.end.hour - calendar.start.hour
    working = [
        calendar.is_working_day(from_day + timedelta(days=offset)) for offset in range(span + days)
    ]
    return min(
        (timedelta(hours=hours * sum(working[start : start + days])), start)
        for start in range(span)
    )


@pytest.mark.parametrize(
    "holidays",
    [
        [],
        ["2027-03-01", "2027-03-02", "2028-01-03"],
        [f"2027-{month:02d}-{day:02d}" for month in range(1, 13) for day in (4, 5, 6, 7, 8)],
    ],
)
def test_least_working_time_agrees_with_counting_every_stretch(holidays: list[str]) -> None:
    # given a Monday-Friday calendar with some holidays
    calendar = BusinessCalendar(holidays=frozenset(date.fromisoformat(d) for d in holidays))
    from_day = date(2026, 12, 3)

    # when the least working time of a 60-day stretch is counted and worked out
    least, first_day = calendar.least_working_time(from_day=from_day, days=60)
    expected, offset = brute_force_least(calendar, from_day, 60, span=900)

    # then both agree, on the time and on the first day of the leanest stretch
    assert (least, first_day) == (expected, from_day + timedelta(days=offset))


def test_least_working_time_finds_a_stretch_without_any() -> None:
    # given a Saturday-only calendar whose Saturdays are holidays for over two years
    saturdays = [date.fromisoformat(day) for day in every_saturday()]
    calendar = BusinessCalendar(working_days=frozenset({5}), holidays=frozenset(saturdays))

    # when the least working time in the days the clocks look ahead is worked out
    least, first_day = calendar.least_working_time(from_day=date.today())

    # then there is a stretch without any, starting today
    assert least == timedelta(0)
    assert first_day == date.today()
    assert LOOKAHEAD_DAYS == MAX_DAYS - 1
