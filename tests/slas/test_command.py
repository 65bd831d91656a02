"""`manage.py sla_defaults --tenant SLUG FILE`: the default policy from a JSON or YAML
file with the API's field names; a bad file exits non-zero, names the field and changes
nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from slas.models import SlaPolicy, SlaPolicyVersion
from slas.selectors import sla_policy_default
from tests.commands import CommandResult, run_manage
from tests.factories import PartnerFactory

GOOD_YAML = """\
# The terms every new partner gets.
slug: partner-standard
name: Partner standard
description: Our default terms.
first_response_hours: 2
resolution_hours: 16.5
lead_acceptance_hours: 4
min_monthly_revenue: "2500.00"
min_monthly_won_orders: 3
uptime_percent: 99.5
time_zone: Europe/Berlin
working_days: [mon, tue, wed, thu, fri]
working_hours_start: 08:30
working_hours_end: 17:30
holidays:
  - 2026-12-24
  - 2026-12-25
escalation_name: Dana Duty
escalation_email: escalation@example.com
review_cadence: monthly
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def sla_defaults(tenant: str, path: Path | str) -> CommandResult:
    return run_manage("sla_defaults", "--tenant", tenant, str(path))


def snapshot() -> dict[str, Any]:
    """Everything a refused file must leave as it was."""
    return {
        "policies": sorted(SlaPolicy.objects.values_list("slug", "version", "is_default", "name")),
        "versions": SlaPolicyVersion.objects.count(),
    }


def test_a_good_yaml_file_sets_the_default_and_the_next_partner_gets_it(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    tenant_b: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given a partner of alpha on the seeded default, and a policy file
    with in_tenant(tenant_a):
        earlier = PartnerFactory.create()
        assert earlier.sla.slug == "standard"
    path = policy_file("defaults.yaml", GOOD_YAML)

    # when an operator runs the command for alpha
    result = sla_defaults("alpha", path)

    # then it says what it did
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "Created policy partner-standard (version 1) as the default of alpha."
    )
    with in_tenant(tenant_a):
        # and the file's policy is alpha's only default, every field as written
        policy = sla_policy_default()
        assert policy.slug == "partner-standard"
        assert SlaPolicy.objects.filter(is_default=True).count() == 1
        assert policy.first_response_hours == Decimal("2.00")
        assert policy.resolution_hours == Decimal("16.50")
        assert policy.min_monthly_revenue == Decimal("2500.00")
        assert policy.uptime_percent == Decimal("99.500")
        assert policy.time_zone == "Europe/Berlin"
        # (unquoted YAML times are times of day, not YAML 1.1's base-60 numbers)
        assert (policy.working_hours_start, policy.working_hours_end) == (time(8, 30), time(17, 30))
        assert policy.holidays == [date(2026, 12, 24), date(2026, 12, 25)]
        assert policy.review_cadence == "monthly"
        (version,) = policy.versions.all()
        assert (version.source, version.created_by) == ("command", None)
        # and the next new partner gets it, while the earlier one keeps its policy
        assert PartnerFactory.create().sla == policy
        earlier.refresh_from_db()
        assert earlier.sla.slug == "standard"
    # and beta's default is untouched
    with in_tenant(tenant_b):
        assert sla_policy_default().slug == "standard"
        assert not SlaPolicy.objects.filter(slug="partner-standard").exists()


def test_a_json_file_works_the_same(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given the same kind of policy as JSON
    path = policy_file(
        "defaults.json",
        json.dumps(
            {
                "slug": "json-terms",
                "name": "JSON terms",
                "first_response_hours": "1.5",
                "working_hours_start": "07:00",
                "working_hours_end": "15:00",
                "holidays": ["2026-12-31"],
            }
        ),
    )

    # when it is applied
    result = sla_defaults("alpha", path)

    # then it is alpha's default
    assert result.exit_code == 0, result.stderr
    with in_tenant(tenant_a):
        policy = sla_policy_default()
        assert (policy.slug, policy.first_response_hours) == ("json-terms", Decimal("1.50"))
        assert (policy.working_hours_start, policy.working_hours_end) == (time(7), time(15))


def test_a_file_with_one_bad_target_exits_non_zero_naming_it_and_changes_nothing(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given alpha as it is, and the good file with one target that is not a number
    with in_tenant(tenant_a):
        before = snapshot()
    path = policy_file(
        "bad.yaml", GOOD_YAML.replace("first_response_hours: 2", "first_response_hours: two")
    )

    # when it is applied
    result = sla_defaults("alpha", path)

    # then the command fails, naming the field and what is wrong with it
    assert result.exit_code != 0
    assert "first_response_hours" in result.stderr
    assert "“two” is not a number." in result.stderr
    assert result.stdout == ""
    # and nothing changed: no new policy, no version, the same default
    with in_tenant(tenant_a):
        assert snapshot() == before
        assert sla_policy_default().slug == "standard"


def test_a_bad_file_for_the_current_default_leaves_it_as_it_was(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given the file's policy is alpha's default at version 1
    assert sla_defaults("alpha", policy_file("good.yaml", GOOD_YAML)).exit_code == 0
    with in_tenant(tenant_a):
        before = snapshot()

    # when a version of it with a good change and two bad fields is applied
    bad = (
        GOOD_YAML.replace("name: Partner standard", "name: Renamed")
        .replace("time_zone: Europe/Berlin", "time_zone: Europe/Atlantis")
        .replace("working_hours_end: 17:30", "working_hours_end: 07:00")
    )
    result = sla_defaults("alpha", policy_file("bad.yaml", bad))

    # then both bad fields are named and not even the good change was saved
    assert result.exit_code != 0
    assert "time_zone: “Europe/Atlantis” is not a time zone" in result.stderr
    assert "working_hours_end: Working hours must end after they start" in result.stderr
    with in_tenant(tenant_a):
        assert snapshot() == before
        assert sla_policy_default().name == "Partner standard"


def test_a_changed_file_makes_a_new_version_and_the_same_file_none(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given the file was applied once
    assert sla_defaults("alpha", policy_file("v1.yaml", GOOD_YAML)).exit_code == 0

    # when a file changing two targets is applied, and then again
    changed = GOOD_YAML.replace("first_response_hours: 2", "first_response_hours: 1").replace(
        "min_monthly_won_orders: 3", "min_monthly_won_orders: 5"
    )
    path = policy_file("v2.yaml", changed)
    first = sla_defaults("alpha", path)
    second = sla_defaults("alpha", path)

    # then the first made version 2 and said what changed, the second changed nothing
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip() == (
        "Policy partner-standard is now version 2 and the default of alpha; "
        "changed: first_response_hours, min_monthly_won_orders."
    )
    assert second.exit_code == 0, second.stderr
    assert second.stdout.strip() == (
        "Policy partner-standard already matches the file; nothing changed."
    )
    with in_tenant(tenant_a):
        policy = sla_policy_default()
        assert [version.number for version in policy.versions.all()] == [2, 1]
        assert policy.versions.get(number=2).changed_fields == [
            "first_response_hours",
            "min_monthly_won_orders",
        ]


def test_a_file_for_an_existing_policy_makes_it_the_default(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
) -> None:
    # given a second policy "premium" that is not the default
    with in_tenant(tenant_a):
        SlaPolicy.objects.create(slug="premium", name="Premium")

    # when a file naming premium is applied
    result = sla_defaults("alpha", policy_file("premium.json", '{"slug": "premium"}'))

    # then premium is the only default, the standard policy no longer
    assert result.exit_code == 0, result.stderr
    assert "changed: is_default" in result.stdout
    with in_tenant(tenant_a):
        assert list(SlaPolicy.objects.filter(is_default=True).values_list("slug", flat=True)) == [
            "premium"
        ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param(
            "list.yaml",
            "- slug: a\n- slug: b\n",
            "file: The file must hold one policy: a mapping of field names to values.",
            id="not-a-mapping",
        ),
        pytest.param(
            "empty.yaml",
            "",
            "file: The file must hold one policy",
            id="empty",
        ),
        pytest.param(
            "broken.json",
            '{"slug": "x", "name": ',
            "broken.json is not valid JSON or YAML",
            id="not-json",
        ),
        pytest.param(
            "typo.yaml",
            "slug: typo\nname: Typo\nfirst_responce_hours: 2\n",
            "first_responce_hours: “first_responce_hours” is not a policy field",
            id="unknown-field",
        ),
        pytest.param(
            "noslug.yaml",
            "name: Nameless\n",
            "slug: This field is required.",
            id="no-slug",
        ),
    ],
)
def test_a_file_that_is_not_one_policy_is_refused(
    db: None,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    policy_file: Callable[[str, str], Path],
    name: str,
    text: str,
    message: str,
) -> None:
    # given a file that does not describe one valid policy
    with in_tenant(tenant_a):
        before = snapshot()

    # when it is applied
    result = sla_defaults("alpha", policy_file(name, text))

    # then the command fails saying why, and nothing changed
    assert result.exit_code != 0
    assert message in result.stderr
    with in_tenant(tenant_a):
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing.yaml", "No such file or directory"), ("a-folder", "Is a directory")],
)
def test_an_unreadable_path_is_reported(db: None, tmp_path: Path, name: str, reason: str) -> None:
    # given a path that does not exist, or is a folder
    (tmp_path / "a-folder").mkdir()

    # when it is given to the command
    result = sla_defaults("alpha", tmp_path / name)

    # then the command fails naming the path and the reason
    assert result.exit_code != 0
    assert f"CommandError: Cannot read {tmp_path / name}: {reason}." in result.stderr


def test_a_file_that_is_not_utf8_is_reported(
    db: None, tmp_path: Path, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a policy file saved as Latin-1 ("Müller" with a single byte for ü)
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"slug: mueller\nname: M\xfcller terms\n")

    # when it is applied
    result = sla_defaults("alpha", path)

    # then the command fails telling how to fix the file, not with a traceback
    assert result.exit_code != 0
    assert f"CommandError: {path} is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr
    with in_tenant(tenant_a):
        assert not SlaPolicy.objects.filter(slug="mueller").exists()


def test_an_unknown_tenant_is_reported(
    db: None, policy_file: Callable[[str, str], Path], in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # when the tenant does not exist
    result = sla_defaults("nosuchtenant", policy_file("good.yaml", GOOD_YAML))

    # then the command fails naming it, and no tenant got the policy
    assert result.exit_code != 0
    assert 'There is no tenant "nosuchtenant".' in result.stderr
    with in_tenant(tenant_a):
        assert not SlaPolicy.objects.filter(slug="partner-standard").exists()
