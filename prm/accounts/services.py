"""Writes of users and API keys; every door (UI, API, commands) comes through here."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Role, Scope, User

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
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [f'"{email}" is not an e-mail address.']
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [f"A user with e-mail {email} already exists."]
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
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at=None).first()
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
