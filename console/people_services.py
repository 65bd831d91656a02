"""People writes that span the platform's accounts and the registry's partner links:
inviting a person (a partner user with its partner, in the same step) and changing
one (name, role, partner). The people pages (console.people) and the users API
(console.people_api) both come through here; everything that only touches the account
(deactivate, reactivate, resend the invitation, password reset) is prm.accounts.services.

Each write is one transaction, and reports every problem at once: the account's (e-mail,
role, last administrator) and the partner link's (a partner user needs its partner,
nobody else has one).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Partner
from partners.selectors import partner_count_managed, partner_for_portal_user
from partners.services import partner_user_link, partner_user_link_errors
from prm.accounts.models import Role, User
from prm.accounts.services import UNCHANGED, user_invite, user_update


def _with_problems(error: ValidationError, problems: dict[str, list[str]]) -> ValidationError:
    """`error` (the account's) with `problems` by field added, each field not already
    in it."""
    errors = (
        dict(error.message_dict)
        if hasattr(error, "error_dict")
        else {"__all__": list(error.messages)}
    )
    for field, messages in problems.items():
        if messages:
            errors.setdefault(field, messages)
    return ValidationError(errors)


def person_invite(
    *,
    email: str,
    full_name: str = "",
    role: str,
    partner: Partner | None = None,
    invited_by: User | None,
) -> User:
    """Invite a person by e-mail (prm.accounts.services.user_invite); a partner user
    is linked to `partner` in the same transaction, before the mail goes out."""
    problems = partner_user_link_errors(role=role, partner=partner)
    try:
        with transaction.atomic():
            user = user_invite(email=email, full_name=full_name, role=role, invited_by=invited_by)
            if problems:
                raise ValidationError({"partner": problems})
            if partner is not None:
                partner_user_link(user=user, partner=partner)
    except ValidationError as error:
        raise _with_problems(error, {"partner": problems}) from error
    return user


def person_update(
    *,
    user: User,
    actor: User | None,
    full_name: str | None = None,
    role: str | None = None,
    partner: Any = UNCHANGED,
) -> User:
    """Change a person's name, role or partner. A user who stops being a partner user
    loses its partner link; one who becomes one needs a partner."""
    current = partner_for_portal_user(user=user)
    new_role = role if role is not None else user.role
    if partner is UNCHANGED:
        partner = current if new_role == Role.PARTNER else None
    problems = {
        "partner": partner_user_link_errors(role=new_role, partner=partner, current=current),
        "role": _portfolio_problems(user=user, new_role=new_role),
    }
    try:
        with transaction.atomic():
            user_update(user=user, actor=actor, full_name=full_name, role=role)
            if any(problems.values()):
                raise ValidationError({field: found for field, found in problems.items() if found})
            partner_user_link(user=user, partner=partner)
    except ValidationError as error:
        user.refresh_from_db()
        raise _with_problems(error, problems) from error
    return user


def _portfolio_problems(*, user: User, new_role: str) -> list[str]:
    """A channel manager of current partners cannot become a partner user: every partner
    has vendor staff as its single point of contact."""
    if new_role != Role.PARTNER or user.role == Role.PARTNER:
        return []
    managed = partner_count_managed(user=user)
    if not managed:
        return []
    return [
        f"{user.get_full_name()} is the channel manager of {managed} partner"
        f"{'s' if managed != 1 else ''}; move them to another manager first "
        "(Partners → Move a portfolio)."
    ]
