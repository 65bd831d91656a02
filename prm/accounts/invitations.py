"""Invitations: a signed, expiring link that lets an invited person set a password.

The link is Django's password-reset token machinery with a salt of its own (a reset
link is no invitation and the other way round) and its own lifetime,
`PRM_INVITATION_DAYS` (default 7). The token is a hash of the user's password hash,
the time of the last invitation and whether the account is active, so it stops
working once the password is set (used), once a newer invitation is sent (its time
changes, and so does the unusable password it sets) and once the account is
deactivated; past its lifetime it has expired. Nothing is stored: the link is checked
by recomputing it (PasswordResetTokenGenerator).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import Enum
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from prm.tenancy.selectors import tenant_base_url

from .models import PERSON_ROLES, User

logger = logging.getLogger(__name__)


def invitation_days() -> int:
    return int(settings.PRM_INVITATION_DAYS)


class LinkState(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"  # the password is set already
    REPLACED = "replaced"  # a newer invitation was sent
    INACTIVE = "inactive"  # the account is deactivated
    INVALID = "invalid"  # not a link we made, or no such user


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "prm.accounts.invitations.InvitationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        invited = "" if user.invited_at is None else f"{user.invited_at.timestamp():.0f}"
        return f"{user.pk}{user.password}{invited}{user.is_active}{timestamp}{user.email}"

    def _timestamp(self, token: str) -> int | None:
        try:
            timestamp_b36, _hash = token.split("-")
            return base36_to_int(timestamp_b36)
        except ValueError:
            return None

    def _matches(self, user: User, token: str) -> bool:
        timestamp = self._timestamp(token)
        if timestamp is None:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )

    def state(self, user: User | None, token: str) -> LinkState:
        """What the link is: valid, or why not (in the order people can act on)."""
        # Someone never invited has no invitation to be used, expired or replaced: any
        # link is simply invalid (and says nothing about the account).
        if user is None or not token or user.role not in PERSON_ROLES or user.invited_at is None:
            return LinkState.INVALID
        if not user.is_active:
            return LinkState.INACTIVE
        if user.has_usable_password():
            return LinkState.USED
        if not self._matches(user, token):
            timestamp = self._timestamp(token)
            return LinkState.INVALID if timestamp is None else LinkState.REPLACED
        timestamp = self._timestamp(token) or 0
        if self._num_seconds(self._now()) - timestamp > invitation_days() * 86400:
            return LinkState.EXPIRED
        return LinkState.VALID

    def check_token(self, user: User | None, token: str | None) -> bool:
        return self.state(user, token or "") is LinkState.VALID


invitation_tokens = InvitationTokenGenerator()


def invitation_link(*, user: User, base_url: str | None = None) -> str:
    """The link that sets `user`'s password, on the tenant's own address."""
    if base_url is None:
        base_url = tenant_base_url(tenant=connection.tenant)  # type: ignore[attr-defined]
    path = reverse(
        "accounts:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return f"{base_url}{path}"


def invitation_expires(*, user: User) -> datetime | None:
    if user.invited_at is None:
        return None
    return user.invited_at + timedelta(days=invitation_days())


def invitation_message(*, user: User) -> EmailMessage:
    """The invitation mail of `user`, with its link as of now."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    inviter = user.invited_by
    context = {
        "user": user,
        "site_name": getattr(tenant, "name", "prm"),
        "link": invitation_link(user=user),
        "days": invitation_days(),
        # "Ana Lima (ana@…)" or just the address when the inviter has no name.
        "inviter": inviter.full_name if inviter else "",
        "inviter_email": inviter.email if inviter else "",
        "role": user.get_role_display(),
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation.txt", context)
    return EmailMessage(subject, body, to=[user.email])


def invitation_mail_on_commit(*, user: User) -> None:
    """Mail `user` their invitation once the transaction that made it commits.

    The message is written now (in the tenant and with the state the transaction
    leaves), sent after the commit, so a rolled-back invitation mails nothing and a
    refused mail never undoes the invitation: it is logged, and the people page
    offers "Resend invitation".
    """
    message = invitation_message(user=user)
    user_id = user.pk

    def deliver() -> None:
        try:
            message.send()
        except (SMTPException, OSError):
            logger.exception("The invitation of user %s could not be mailed.", user_id)

    transaction.on_commit(deliver)
