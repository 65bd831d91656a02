"""The invitation's page: an invited person follows the mailed link, sets a password,
is signed in and lands on their home (the portal for a partner user, the dashboard for
staff). A link that no longer works says why and how to get a new one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse

from .invitations import invitation_days, invitation_tokens
from .models import Role, User

LINK_SESSION_KEY = auth_views.INTERNAL_RESET_SESSION_TOKEN


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm flow (the token moves from the URL into the session before
    the form is shown, so it never leaks in a Referer) with the invitation's tokens."""

    template_name = "accounts/invitation_accept.html"
    token_generator = invitation_tokens
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    reset_url_token = "set-password"  # noqa: S105 (a path segment, Django's own name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: User | None = getattr(self, "user", None)
        context["days"] = invitation_days()
        context["invitee"] = user
        context["inviter"] = user.invited_by if user is not None else None
        if not context.get("validlink"):
            token = self.kwargs.get("token", "")
            if token == self.reset_url_token:
                token = self.request.session.get(LINK_SESSION_KEY, "")
            context["state"] = invitation_tokens.state(user, token).value
        return context

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set and you are signed in. Welcome!")
        return response

    def get_success_url(self) -> str:
        user: User | None = getattr(self, "user", None)
        # URL names of the doors above, by name only (the platform imports no door).
        if user is not None and user.role == Role.PARTNER:
            return reverse("portal:home")
        return reverse("console:home")
