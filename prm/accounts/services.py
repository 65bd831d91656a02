"""Writes of users and API keys; every door (UI, API, commands) comes through here."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from smtplib import SMTPException
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from prm.tenancy.selectors import tenant_base_url

from .invitations import invitation_mail_on_commit
from .models import PERSON_ROLES, ApiKey, Role, Scope, User

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "prm_"
# Recording every use would turn each API read into a write; once a minute is enough
# to tell a live key from a dead one.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# "Leave as it is" for optional arguments whose None means something (the default).
UNCHANGED: Any = object()


def user_create(
    *,
    email: str,
    password: str | None,
    role: str,
    full_name: str = "",
    check_password: bool = True,
) -> User:
    """Create a user of the current tenant; raises ValidationError by field."""
    email = (email or "").strip().lower()
    errors = _person_errors(email=email)
    if role not in Role.values:
        errors["role"] = [f'"{role}" is not a role; use one of {", ".join(Role.values)}.']
    if password is not None and check_password:
        try:
            validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return User.objects.create_user(email, password, role=role, full_name=full_name)


# --- people: invitations, changes, deactivation -----------------------------------------

LAST_ADMIN_REFUSAL = (
    "{name} is the last active administrator: make another person an administrator "
    "first, or nobody could manage this tenant's people and settings."
)


def _person_errors(
    *, email: str | None = None, full_name: str | None = None, role: str | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if email is not None:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [f'"{email}" is not an e-mail address.']
        else:
            if User.objects.filter(email__iexact=email).exists():
                errors["email"] = [f"{email} already has an account here."]
    if full_name is not None and len(full_name) > 200:
        errors["full_name"] = ["A name is at most 200 characters."]
    if role is not None and role not in PERSON_ROLES:
        errors["role"] = [
            f'"{role}" is not a role; use one of {", ".join(str(r) for r in PERSON_ROLES)}.'
        ]
    return errors


def _other_active_admins(user: User) -> bool:
    return User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()


def _is_person(user: User) -> None:
    if user.role == Role.INTEGRATOR:
        raise ValidationError(
            "This account belongs to an API key; manage it under Settings → API keys."
        )


def user_invite(*, email: str, full_name: str = "", role: str, invited_by: User | None) -> User:
    """Invite a person: an account without a password, and a mail (once committed) with
    a link that sets one (prm.accounts.invitations). ValidationError by field."""
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    if errors := _person_errors(email=email, full_name=full_name, role=role):
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            email,
            None,
            role=role,
            full_name=full_name,
            invited_at=timezone.now(),
            invited_by=invited_by if invited_by and invited_by.pk else None,
        )
        invitation_mail_on_commit(user=user)
    return user


def invitation_send(*, user: User, actor: User | None) -> User:
    """A new invitation for someone who has not set a password yet; the link of the
    last one stops working (the token is signed with the invitation's time and the
    unusable password, both new)."""
    _is_person(user)
    if not user.is_active:
        raise ValidationError(
            f"{user.email} is deactivated; reactivate the account before inviting again."
        )
    if user.has_usable_password():
        raise ValidationError(
            f"{user.email} has set a password already; send a password reset instead."
        )
    with transaction.atomic():
        user.invited_at = timezone.now()
        user.invited_by = actor if actor and actor.pk else None
        user.set_unusable_password()
        user.save(update_fields=["invited_at", "invited_by", "password", "updated_at"])
        invitation_mail_on_commit(user=user)
    return user


def user_update(
    *, user: User, actor: User | None, full_name: str | None = None, role: str | None = None
) -> User:
    """Change a person's name or role. An administrator cannot give up their own role,
    and the last active administrator stays one. ValidationError by field."""
    _is_person(user)
    full_name = full_name.strip() if full_name is not None else None
    errors = _person_errors(full_name=full_name, role=role)
    if role is not None and role != user.role and user.role == Role.ADMIN and not errors:
        if actor is not None and actor.pk == user.pk:
            errors["role"] = [
                "You cannot take away your own administrator role; ask another "
                "administrator to do it."
            ]
        elif user.is_active and not _other_active_admins(user):
            errors["role"] = [LAST_ADMIN_REFUSAL.format(name=user.get_full_name())]
    if errors:
        raise ValidationError(errors)
    fields = []
    if full_name is not None and full_name != user.full_name:
        user.full_name = full_name
        fields.append("full_name")
    if role is not None and role != user.role:
        user.role = role
        fields.append("role")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return user


def user_sessions_end(*, user: User) -> int:
    """Sign `user` out everywhere at once: delete every session of theirs (sessions live
    in the tenant's schema, one row each); returns how many."""
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            doomed.append(session.session_key)
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def user_deactivate(*, user: User, actor: User | None) -> User:
    """Deactivate a person: they cannot sign in, their sessions end now (every page and
    the API refuse them on their next request), and their invitation link dies."""
    _is_person(user)
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(
            "You cannot deactivate your own account; ask another administrator to do it."
        )
    if user.role == Role.ADMIN and user.is_active and not _other_active_admins(user):
        raise ValidationError(LAST_ADMIN_REFUSAL.format(name=user.get_full_name()))
    with transaction.atomic():
        if user.is_active:
            user.is_active = False
            user.deactivated_at = timezone.now()
            user.save(update_fields=["is_active", "deactivated_at", "updated_at"])
        user_sessions_end(user=user)
    return user


def user_reactivate(*, user: User, actor: User | None) -> User:
    """Let a deactivated person sign in again (with the password they had)."""
    _is_person(user)
    if not user.is_active:
        user.is_active = True
        user.deactivated_at = None
        user.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    return user


def password_reset_send(*, user: User) -> None:
    """Mail `user` a password-reset link (the same mail and link as "Forgot your
    password?"), also when they never had a password. ValidationError if the account
    cannot have one or the mail server refused."""
    _is_person(user)
    if not user.is_active:
        raise ValidationError(f"{user.email} is deactivated; reactivate the account first.")
    tenant = connection.tenant  # type: ignore[attr-defined]
    base_url = tenant_base_url(tenant=tenant)
    address = urlsplit(base_url)
    context = {
        "email": user.email,
        "domain": address.netloc,
        "site_name": getattr(tenant, "name", "prm"),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": address.scheme,
        "base_url": base_url,
    }
    subject = render_to_string("accounts/email/password_reset_subject.txt", context)
    body = render_to_string("accounts/email/password_reset.txt", context)
    try:
        send_mail("".join(subject.splitlines()), body, None, [user.email])
    except (SMTPException, OSError) as error:
        logger.exception("The password reset of user %s could not be mailed.", user.pk)
        raise ValidationError(
            "The mail server refused the message; try again later, or ask whoever runs "
            "this site to check its mail settings."
        ) from error


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def rate_limit_errors(rate_limit: object) -> list[str]:
    """What is wrong with a limit in requests a minute (None: the default), if anything."""
    if rate_limit is None:
        return []
    ceiling = settings.PRM_API_RATE_MAX_PER_MINUTE
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
        return ["Give the limit as a whole number of requests a minute, or leave it empty."]
    if not 1 <= rate_limit <= ceiling:
        return [f"The limit must be between 1 and {ceiling} requests a minute."]
    return []


def api_key_create(
    *,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    rate_limit: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its clear text, which is never stored and cannot be shown again."""
    errors: dict[str, list[str]] = {}
    if problems := rate_limit_errors(rate_limit):
        errors["rate_limit"] = problems
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the key a name that says what uses it."]
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        errors["scopes"] = [
            f"Scopes must be a non-empty list of {', '.join(Scope.values)}"
            + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
        ]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        service_user = User.objects.create_user(
            f"api-key-{prefix}@api-keys.invalid",
            None,
            role=Role.INTEGRATOR,
            full_name=f"API key: {name}",
        )
        api_key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            key_hash=_hash(key),
            scopes=sorted(set(scopes)),
            user=service_user,
            created_by=created_by,
            rate_limit=rate_limit,
        )
    return api_key, key


def api_key_update(
    *, api_key: ApiKey, name: str | None = None, rate_limit: Any = UNCHANGED
) -> ApiKey:
    """Rename a key or set its rate limit (`rate_limit=None`: the tenant's default)."""
    errors: dict[str, list[str]] = {}
    fields = []
    if name is not None:
        if not name.strip():
            errors["name"] = ["Give the key a name that says what uses it."]
        api_key.name = name.strip()
        fields.append("name")
    if rate_limit is not UNCHANGED:
        if problems := rate_limit_errors(rate_limit):
            errors["rate_limit"] = problems
        api_key.rate_limit = rate_limit
        fields.append("rate_limit")
    if errors:
        raise ValidationError(errors)
    if fields:
        api_key.save(update_fields=[*fields, "updated_at"])
    return api_key


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key of the current tenant that `key` is, or None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, _, _secret = key[len(API_KEY_PREFIX) :].partition("_")
    # The key's user is active too: an account that is deactivated gets no API access.
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(prefix=prefix, revoked_at=None, user__is_active=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, api_key: ApiKey, revoked_by: User | None = None) -> ApiKey:
    if api_key.revoked_at is None:
        with transaction.atomic():
            api_key.revoked_at = timezone.now()
            api_key.revoked_by = revoked_by
            api_key.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
            User.objects.filter(pk=api_key.user_id).update(is_active=False)
    return api_key
