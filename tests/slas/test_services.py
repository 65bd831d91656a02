"""SLA policies through their services: validation of every field, versions on every
change, exactly one default policy per tenant, and partner overrides that inherit the
rest of their policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from prm.accounts.models import Role, User
from slas import selectors, services
from slas.models import PartnerSlaOverride, SlaPolicy, SlaPolicyVersion
from tests.factories import PartnerFactory, UserFactory
from tests.slas.policies import weekday_policy


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    """The whole test runs in alpha's schema."""
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def admin(alpha: Any) -> User:
    return UserFactory.create(role=Role.ADMIN, email="ada.admin@example.com")


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def policy_rows() -> dict[str, int]:
    """What a refused write must not change."""
    return {
        "policies": SlaPolicy.objects.count(),
        "versions": SlaPolicyVersion.objects.count(),
    }


# --- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "has spaces", "letters, digits, hyphens and underscores"),
        ("name", "  ", "This field is required."),
        ("first_response_hours", "soon", "“soon” is not a number."),
        ("first_response_hours", "0", "out of range; use a number of at least 0.01"),
        ("resolution_hours", "-4", "out of range"),
        ("lead_acceptance_hours", "1.255", "too many decimals; use at most 2"),
        ("min_monthly_revenue", "-1", "out of range; use a number of at least 0"),
        ("min_monthly_won_orders", "2.5", "is not a whole number"),
        ("min_monthly_calls", True, "is not a whole number"),
        ("uptime_percent", "100.001", "and at most 100"),
        ("time_zone", "Mars/Olympus_Mons", "is not a time zone; use a name like Europe/Berlin"),
        ("working_days", ["mon", "someday"], "not som"),
        ("working_days", [], "Give one or more of mon, tue"),
        ("working_hours_start", "9 o'clock", "is not a time; write it like 09:00"),
        ("working_hours_start", "25:00", "is not a time; write it like 09:00"),
        ("working_hours_end", 1020, "is not a time; write it like 09:00"),
        ("holidays", ["Christmas"], "“Christmas” is not a date; write it like 2026-12-25"),
        ("holidays", ["2026-02-30"], "“2026-02-30” is not a date"),
        ("escalation_email", "help desk", "“help desk” is not an e-mail address."),
        ("review_cadence", "weekly", "Use one of monthly, quarterly"),
        ("is_default", "yes", "Use true or false."),
    ],
)
def test_each_bad_field_is_named_with_what_is_wrong(
    alpha: Any, field: str, value: Any, message: str
) -> None:
    # given a policy that is fine but for one field
    data = {"slug": "gold", "name": "Gold", field: value}
    before = policy_rows()

    # when it is validated and saved
    with pytest.raises(ValidationError) as error:
        services.sla_policy_save(data=data, actor=None)

    # then exactly that field is refused, saying what is wrong, and nothing is written
    errors = refusal(error)
    assert set(errors) == {field}
    assert any(message in text for text in errors[field]), errors
    assert policy_rows() == before


def test_an_unknown_field_is_refused_with_the_list_of_fields(alpha: Any) -> None:
    # given a policy with a misspelt target
    data = {"slug": "gold", "name": "Gold", "first_responce_hours": "4"}

    # when it is validated
    with pytest.raises(ValidationError) as error:
        services.sla_policy_validate(data)

    # then the misspelt name is refused and the real ones are listed
    errors = refusal(error)
    assert set(errors) == {"first_responce_hours"}
    assert "is not a policy field" in errors["first_responce_hours"][0]
    assert "first_response_hours" in errors["first_responce_hours"][0]


def test_working_hours_must_end_after_they_start(alpha: Any) -> None:
    # given a policy whose hours end before they start
    data = {
        "slug": "night",
        "name": "Night",
        "working_hours_start": "22:00",
        "working_hours_end": "06:00",
    }

    # when it is validated, then the end is refused
    with pytest.raises(ValidationError) as error:
        services.sla_policy_validate(data)
    assert refusal(error) == {
        "working_hours_end": ["Working hours must end after they start, on the same day."]
    }


def test_an_existing_policy_checks_new_hours_against_its_stored_ones(alpha: Any) -> None:
    # given a 09:00-17:00 policy
    policy = weekday_policy()

    # when only a start after its stored end is given, then that is refused too
    with pytest.raises(ValidationError) as error:
        services.sla_policy_save(data={"working_hours_start": "18:00"}, policy=policy, actor=None)
    assert set(refusal(error)) == {"working_hours_end"}
    policy.refresh_from_db()
    assert policy.working_hours_start == time(9)


def test_every_bad_field_is_reported_at_once(alpha: Any) -> None:
    # given a policy with three problems
    data = {"slug": "", "name": "X", "time_zone": "Nowhere", "first_response_hours": "x"}

    # when it is validated, then all three are named
    with pytest.raises(ValidationError) as error:
        services.sla_policy_validate(data)
    assert set(refusal(error)) == {"slug", "time_zone", "first_response_hours"}


def test_a_slug_taken_by_another_policy_is_refused(alpha: Any) -> None:
    # given a policy "weekdays"
    weekday_policy()

    # when another policy wants the same slug, then it is refused
    with pytest.raises(ValidationError) as error:
        services.sla_policy_save(data={"slug": "weekdays", "name": "Copy"}, actor=None)
    assert refusal(error) == {"slug": ["Another policy already has the slug “weekdays”."]}


def test_values_are_normalised_as_people_write_them(alpha: Any) -> None:
    # when a policy is saved with values typed loosely
    policy, changed = services.sla_policy_save(
        data={
            "slug": "loose",
            "name": "  Loose  ",
            "first_response_hours": 4,
            "uptime_percent": "99.9",
            "working_days": "Friday, monday;WED",
            "holidays": ["2026-12-25", date(2026, 12, 24), "2026-12-25"],
            "escalation_email": " help@example.com ",
        },
        actor=None,
    )

    # then they are stored cleaned up, and the result says it was created
    assert changed == ["created"]
    policy.refresh_from_db()
    assert policy.name == "Loose"
    assert policy.first_response_hours == Decimal("4.00")
    assert policy.uptime_percent == Decimal("99.900")
    assert policy.working_days == ["mon", "wed", "fri"]
    assert policy.holidays == [date(2026, 12, 24), date(2026, 12, 25)]
    assert policy.escalation_email == "help@example.com"


# --- versions ---------------------------------------------------------------------------


def test_a_new_policy_starts_at_version_one_with_every_field(admin: User) -> None:
    # when an admin creates a policy in the app
    policy, _ = services.sla_policy_save(
        data={"slug": "gold", "name": "Gold", "first_response_hours": "1"}, actor=admin
    )

    # then it has one version, by that admin, holding every field in the API's form
    assert policy.version == 1
    (version,) = selectors.sla_policy_versions(policy=policy)
    assert (version.number, version.created_by, version.source) == (1, admin, "app")
    assert set(version.data) == set(services.POLICY_FIELDS)
    assert version.data["first_response_hours"] == "1.00"
    assert version.data["working_hours_start"] == "09:00"


def test_every_change_makes_a_version_with_who_where_and_what(admin: User) -> None:
    # given a policy at version 1
    policy = weekday_policy()

    # when an admin changes two fields through the API
    policy, changed = services.sla_policy_save(
        data={"name": "Weekdays plus", "resolution_hours": "12", "first_response_hours": "2"},
        policy=policy,
        actor=admin,
        source="api",
    )

    # then version 2 records who, where and which fields (not the unchanged one)
    assert changed == ["name", "resolution_hours"]
    assert policy.version == 2
    newest, oldest = selectors.sla_policy_versions(policy=policy)
    assert (newest.number, newest.created_by, newest.source) == (2, admin, "api")
    assert newest.changed_fields == ["name", "resolution_hours"]
    assert newest.data["resolution_hours"] == "12.00"
    # and version 1 still says what the policy was before
    assert (oldest.number, oldest.data["resolution_hours"]) == (1, "16.00")
    assert oldest.data["name"] == "Weekdays (weekdays)"


def test_saving_the_same_values_makes_no_version(admin: User) -> None:
    # given a policy at version 1
    policy = weekday_policy(holidays=["2026-12-25"])

    # when it is saved with the values it has, written differently
    policy, changed = services.sla_policy_save(
        data={
            "first_response_hours": "2.0",
            "working_days": ["fri", "thu", "wed", "tue", "mon"],
            "working_hours_start": "09:00:00",
            "holidays": [date(2026, 12, 25)],
            "is_default": False,
        },
        policy=policy,
        actor=admin,
    )

    # then nothing changed and there is no new version
    assert changed == []
    assert policy.version == 1
    assert policy.versions.count() == 1


def test_a_refused_change_keeps_the_version(admin: User) -> None:
    # given a policy at version 1
    policy = weekday_policy()

    # when a change has one bad field among good ones
    with pytest.raises(ValidationError):
        services.sla_policy_save(
            data={"name": "Renamed", "time_zone": "Atlantis/Capital"}, policy=policy, actor=admin
        )

    # then neither the good field nor a version was saved
    policy.refresh_from_db()
    assert (policy.name, policy.version, policy.versions.count()) == ("Weekdays (weekdays)", 1, 1)


# --- exactly one default ----------------------------------------------------------------


def test_every_tenant_starts_with_one_default_policy(alpha: Any) -> None:
    # then the seeded standard policy is the default, at version 1, with targets
    default = selectors.sla_policy_default()
    assert default.slug == "standard"
    assert SlaPolicy.objects.filter(is_default=True).count() == 1
    assert services.current_version(default).number == default.version
    assert default.first_response_hours == Decimal("4.00")


def test_the_database_refuses_a_second_default(alpha: Any) -> None:
    # given the seeded default policy

    # when a second default is written past the services, then the database refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaPolicy.objects.create(slug="rogue", name="Rogue", is_default=True)


def test_making_another_policy_the_default_moves_the_default(admin: User) -> None:
    # given the seeded default and another policy
    standard = selectors.sla_policy_default()
    gold = weekday_policy("gold")

    # when gold is made the default
    gold, changed = services.sla_policy_save(data={"is_default": True}, policy=gold, actor=admin)

    # then gold is the only default, and that is a change of gold's
    assert changed == ["is_default"]
    assert list(SlaPolicy.objects.filter(is_default=True)) == [gold]
    standard.refresh_from_db()
    assert standard.is_default is False
    assert selectors.sla_policy_default() == gold


def test_a_new_policy_can_be_created_as_the_default(admin: User) -> None:
    # when a policy is created as the default
    gold, _ = services.sla_policy_save(
        data={"slug": "gold", "name": "Gold", "is_default": True}, actor=admin
    )

    # then it is the only default
    assert list(SlaPolicy.objects.filter(is_default=True)) == [gold]


def test_the_default_cannot_be_unset_without_another(admin: User) -> None:
    # given the seeded default
    standard = selectors.sla_policy_default()

    # when it is saved with is_default false
    with pytest.raises(ValidationError) as error:
        services.sla_policy_save(
            data={"is_default": False, "name": "Renamed"}, policy=standard, actor=admin
        )

    # then that is refused, saying what to do instead, and nothing changed
    assert refusal(error) == {
        "is_default": ["Make another policy the default instead; a tenant always has one."]
    }
    standard.refresh_from_db()
    assert (standard.is_default, standard.name, standard.version) == (
        True,
        "Standard partner SLA",
        1,
    )


def test_a_new_partner_gets_the_default_policy_unless_another_is_chosen(admin: User) -> None:
    # given gold, made the default, and silver
    gold = weekday_policy("gold", is_default=True)
    silver = weekday_policy("silver")

    # when partners are created without and with a policy
    plain = PartnerFactory.create()
    chosen = PartnerFactory.create(sla="silver")

    # then the first has the default, the second its choice
    assert plain.sla == gold
    assert chosen.sla == silver


# --- partner overrides: single targets, the rest inherited ------------------------------


def targets_of(partner: Any) -> dict[str, tuple[Any, bool]]:
    return {
        target.field: (target.value, target.overridden)
        for target in selectors.effective_targets(partner)
    }


def test_a_partner_overrides_single_targets_and_inherits_the_rest(admin: User) -> None:
    # given a partner on a policy with four targets
    policy = weekday_policy(lead_acceptance_hours="8", min_monthly_calls=10)
    partner = PartnerFactory.create(sla=policy)

    # when the partner gets its own first-response time
    services.partner_sla_override_set(
        partner=partner, targets={"first_response_hours": "0.5"}, actor=admin
    )

    # then that target is its own, every other one the policy's
    assert targets_of(partner) == {
        "first_response_hours": (Decimal("0.50"), True),
        "resolution_hours": (Decimal("16.00"), False),
        "lead_acceptance_hours": (Decimal("8.00"), False),
        "min_monthly_revenue": (None, False),
        "min_monthly_won_orders": (None, False),
        "min_monthly_calls": (10, False),
        "uptime_percent": (None, False),
    }


def test_inherited_targets_follow_the_policy(admin: User) -> None:
    # given a partner overriding only its first-response time
    policy = weekday_policy()
    partner = PartnerFactory.create(sla=policy)
    services.partner_sla_override_set(
        partner=partner, targets={"first_response_hours": "1"}, actor=admin
    )

    # when the policy changes both targets
    services.sla_policy_save(
        data={"first_response_hours": "3", "resolution_hours": "20"}, policy=policy, actor=admin
    )
    partner.refresh_from_db()

    # then the inherited one follows, the overridden one stays
    targets = targets_of(partner)
    assert targets["first_response_hours"] == (Decimal("1.00"), True)
    assert targets["resolution_hours"] == (Decimal("20.00"), False)


def test_clearing_an_override_inherits_again(admin: User) -> None:
    # given a partner overriding two targets
    partner = PartnerFactory.create(sla=weekday_policy())
    services.partner_sla_override_set(
        partner=partner,
        targets={"first_response_hours": "1", "resolution_hours": "4"},
        actor=admin,
    )

    # when one of them is set to null
    services.partner_sla_override_set(
        partner=partner, targets={"first_response_hours": None}, actor=admin
    )

    # then that one is inherited again and the other is untouched
    targets = targets_of(partner)
    assert targets["first_response_hours"] == (Decimal("2.00"), False)
    assert targets["resolution_hours"] == (Decimal("4.00"), True)


def test_a_bad_override_names_its_field_and_changes_nothing(admin: User) -> None:
    # given a partner with one override
    partner = PartnerFactory.create(sla=weekday_policy())
    services.partner_sla_override_set(
        partner=partner, targets={"resolution_hours": "4"}, actor=admin
    )

    # when an override has a bad value and a field that is not a target
    with pytest.raises(ValidationError) as error:
        services.partner_sla_override_set(
            partner=partner,
            targets={"resolution_hours": "1", "first_response_hours": "-2", "time_zone": "UTC"},
            actor=admin,
        )

    # then both are named and the stored override is as it was
    errors = refusal(error)
    assert set(errors) == {"first_response_hours", "time_zone"}
    assert "is not a target" in errors["time_zone"][0]
    assert PartnerSlaOverride.objects.get(partner=partner).resolution_hours == Decimal("4.00")
