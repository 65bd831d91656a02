"""Writes of SLA policies (create, change, the default, a version per change, the
tenant's defaults from a file) and of a partner's own targets.

The settings page, the API and `manage.py sla_defaults` all validate and apply
policies through `sla_policy_validate` / `sla_policy_save`, so a field means the same
thing and fails the same way at every door.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.utils import timezone

from prm.accounts.models import User
from prm.errors import Errors

from .. import rules
from ..models import (
    TARGET_FIELDS,
    WEEKDAYS,
    PartnerSlaOverride,
    ReviewCadence,
    SlaPolicy,
    SlaPolicyVersion,
)
from .fields import date_value, time_value, validate_targets

# Every field a policy has in the API and in files, in a stable order.
POLICY_FIELDS = (
    "slug",
    "name",
    "description",
    "policies",
    *TARGET_FIELDS,
    "time_zone",
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "holidays",
    "escalation_name",
    "escalation_email",
    "review_cadence",
    "is_default",
)


def sla_policy_validate(data: dict[str, Any], *, policy: SlaPolicy | None = None) -> dict[str, Any]:
    """Parse and check policy fields (all of them for a new policy, the given ones for
    an existing one). Raises ValidationError naming every bad field; writes nothing."""
    errors = Errors()
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    for field in unknown:
        errors.add(
            field, f"“{field}” is not a policy field; the fields are {', '.join(POLICY_FIELDS)}."
        )
    cleaned = validate_targets(data, errors)
    for field in ("slug", "name"):
        if field in data or policy is None:
            value = str(data.get(field) or "").strip()
            if not value:
                errors.add(field, "This field is required.")
            cleaned[field] = value
    if cleaned.get("slug"):
        try:
            validate_slug(cleaned["slug"])
        except ValidationError:
            errors.add("slug", "Use letters, digits, hyphens and underscores only.")
        taken = SlaPolicy.objects.filter(slug=cleaned["slug"])
        if policy is not None:
            taken = taken.exclude(pk=policy.pk)
        if taken.exists():
            errors.add("slug", f"Another policy already has the slug “{cleaned['slug']}”.")
    for field in ("description", "policies", "escalation_name"):
        if field in data:
            cleaned[field] = str(data[field] or "").strip()
    if "escalation_email" in data:
        email = str(data["escalation_email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add("escalation_email", f"“{email}” is not an e-mail address.")
        cleaned["escalation_email"] = email
    if "time_zone" in data:
        zone = str(data["time_zone"] or "").strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.add("time_zone", f"“{zone}” is not a time zone; use a name like Europe/Berlin.")
        cleaned["time_zone"] = zone
    if "working_days" in data:
        days = data["working_days"]
        if isinstance(days, str):
            days = days.replace(";", ",").split(",")
        names = [str(day).strip().lower()[:3] for day in days or [] if str(day).strip()]
        bad = [name for name in names if name not in WEEKDAYS]
        if bad or not names:
            errors.add(
                "working_days",
                f"Give one or more of {', '.join(WEEKDAYS)}"
                + (f"; not {', '.join(bad)}." if bad else "."),
            )
        cleaned["working_days"] = [day for day in WEEKDAYS if day in names]
    for field in ("working_hours_start", "working_hours_end"):
        if field in data:
            cleaned[field] = time_value(data[field], field, errors)
    if "holidays" in data:
        holidays: list[date] = []
        for value in data["holidays"] or []:
            parsed = date_value(value)
            if parsed is None:
                errors.add("holidays", f"“{value}” is not a date; write it like 2026-12-25.")
            else:
                holidays.append(parsed)
        cleaned["holidays"] = sorted(set(holidays))
    if "review_cadence" in data:
        cadence = str(data["review_cadence"] or "")
        if cadence not in ReviewCadence.values:
            errors.add("review_cadence", f"Use one of {', '.join(ReviewCadence.values)}.")
        cleaned["review_cadence"] = cadence
    if "is_default" in data:
        if not isinstance(data["is_default"], bool):
            errors.add("is_default", "Use true or false.")
        cleaned["is_default"] = bool(data["is_default"])
    # The rules about fields together (slas.rules), asked of the policy as it would
    # stand: its stored values (or a new policy's defaults) under the given ones.
    stands = policy if policy is not None else SlaPolicy()
    after = {field: cleaned.get(field, getattr(stands, field)) for field in RULE_FIELDS}
    for field, messages in rules.policy_problems(after, given=set(data), skip=set(errors)).items():
        for message in messages:
            errors.add(field, message)
    if policy is not None and not errors:
        before = {field: getattr(policy, field) for field in RULE_FIELDS}
        _check_partners_keep_the_rules(
            policy=policy, before=before, after=after, given=set(data), errors=errors
        )
    errors.raise_if_any()
    return cleaned


RULE_FIELDS = (*TARGET_FIELDS, *rules.CALENDAR_FIELDS)
# Partners' problems said per field at most; a count says how many more there are.
PARTNERS_NAMED = 3


def _check_partners_keep_the_rules(
    *,
    policy: SlaPolicy,
    before: dict[str, Any],
    after: dict[str, Any],
    given: set[str],
    errors: Errors,
) -> None:
    """A change of a policy may not break the rules for a partner on it with its own
    targets (its first response longer than the new resolution, say)."""
    broken: dict[str, list[str]] = {}  # policy field -> a message per partner it breaks
    overrides = PartnerSlaOverride.objects.filter(partner__sla=policy).select_related("partner")
    for override in overrides.order_by("partner__name", "partner__ref"):
        own = {field: getattr(override, field) for field in TARGET_FIELDS}
        found = rules.problems_for_partner_after_change(
            own,
            before,
            after,
            given=given,
            whose=override.partner.name,
            policy_name=policy.name,
        )
        for field, messages in found.items():
            broken.setdefault(field, []).extend(messages)
    for field, messages in broken.items():
        for message in messages[:PARTNERS_NAMED]:
            errors.add(field, message)
        if len(messages) > PARTNERS_NAMED:
            errors.add(
                field,
                f"And {len(messages) - PARTNERS_NAMED} more like these, for other partners "
                "with their own targets; the policy's page lists its partners.",
            )


def policy_data(policy: SlaPolicy) -> dict[str, Any]:
    """Every field of a policy in the API's (and files') form."""
    data: dict[str, Any] = {}
    for field in POLICY_FIELDS:
        value = getattr(policy, field)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, time):
            value = value.strftime("%H:%M")
        elif field == "holidays":
            value = [day.isoformat() for day in value]
        data[field] = value
    return data


def _new_version(
    policy: SlaPolicy, *, actor: User | None, source: str, changed: list[str]
) -> SlaPolicyVersion:
    return SlaPolicyVersion.objects.create(
        policy=policy,
        number=policy.version,
        data=policy_data(policy),
        changed_fields=changed,
        created_by=actor,
        source=source,
        created_at=timezone.now(),
    )


def sla_policy_save(
    *,
    data: dict[str, Any],
    policy: SlaPolicy | None = None,
    actor: User | None,
    source: str = "app",
) -> tuple[SlaPolicy, list[str]]:
    """Create a policy, or change one; a change makes a new version. Returns the policy
    and the names of the fields that changed. Making a policy the default takes the
    default away from the previous one in the same transaction."""
    cleaned = sla_policy_validate(data, policy=policy)
    with transaction.atomic():
        creating = policy is None
        target = policy or SlaPolicy()
        if not creating:
            target = SlaPolicy.objects.select_for_update().get(pk=target.pk)
        before = policy_data(target) if not creating else {}
        make_default = cleaned.pop("is_default", None)
        for field, value in cleaned.items():
            setattr(target, field, value)
        if make_default is False and target.is_default:
            raise ValidationError(
                {
                    "is_default": [
                        "Make another policy the default instead; a tenant always has one."
                    ]
                }
            )
        if make_default:
            SlaPolicy.objects.filter(is_default=True).exclude(pk=target.pk).update(is_default=False)
            target.is_default = True
        after = policy_data(target)
        changed = [field for field in POLICY_FIELDS if before.get(field) != after.get(field)]
        if creating:
            target.version = 1
            target.save()
            _new_version(target, actor=actor, source=source, changed=changed)
        elif changed:
            target.version += 1
            target.save()
            _new_version(target, actor=actor, source=source, changed=changed)
    return target, changed if not creating else ["created"]


def sla_defaults_apply(
    *, data: dict[str, Any], actor: User | None = None
) -> tuple[SlaPolicy, list[str]]:
    """Set the tenant's default policy from a file's contents (`sla_defaults`): the
    policy with the file's slug is created or changed, and becomes the default."""
    if not isinstance(data, dict):
        raise ValidationError(
            {"file": ["The file must hold one policy: a mapping of field names to values."]}
        )
    data = {**data, "is_default": True}
    slug = str(data.get("slug") or "").strip()
    existing = SlaPolicy.objects.filter(slug=slug).first() if slug else None
    return sla_policy_save(data=data, policy=existing, actor=actor, source="command")


def current_version(policy: SlaPolicy) -> SlaPolicyVersion:
    version = policy.versions.filter(number=policy.version).first()
    if version is None:  # a policy that predates versioning gets its first one now
        version = _new_version(policy, actor=None, source="app", changed=[])
    return version


def partner_sla_override_set(
    *, partner: Any, targets: dict[str, Any], actor: User | None
) -> PartnerSlaOverride:
    """Replace the partner's own targets (empty ones inherit the policy's)."""
    errors = Errors()
    unknown = sorted(set(targets) - set(TARGET_FIELDS))
    for field in unknown:
        errors.add(field, f"“{field}” is not a target; targets are {', '.join(TARGET_FIELDS)}.")
    cleaned = validate_targets(targets, errors)
    if not errors:
        # The rules (slas.rules) asked of the targets as they would stand: the given
        # ones over the partner's current own ones, the rest the policy's.
        policy = SlaPolicy.objects.get(pk=partner.sla_id)
        current = PartnerSlaOverride.objects.filter(partner=partner).first()
        own = {field: getattr(current, field) if current else None for field in TARGET_FIELDS}
        own.update(cleaned)
        found = rules.override_problems(
            own,
            {field: getattr(policy, field) for field in RULE_FIELDS},
            given=set(cleaned),
            whose=partner.name,
            policy_name=policy.name,
        )
        for field, messages in found.items():
            for message in messages:
                errors.add(field, message)
    errors.raise_if_any()
    override, _ = PartnerSlaOverride.objects.get_or_create(partner=partner)
    for field, value in cleaned.items():
        setattr(override, field, value)
    override.save()
    return override
