"""Password reset that mails the tenant's own address and cannot flood a mailbox.

Django's PasswordResetView builds the mailed link from the request (its Host header,
port and all, whatever the client sent); here the link is always the tenant's own
address (prm.tenancy.selectors.tenant_base_url: its primary domain with the configured
scheme and port).

Requests are counted per e-mail address and per client address in the cache, whose
keys carry the tenant's schema (django_tenants.cache.make_key), so each tenant counts
its own. Over either limit the answer is the same page as always ("if the address
belongs to an account, a mail is on its way") and nothing is sent, so the limit tells
nobody whether an address has an account. If the cache is down, requests pass, as the
API's rate limits do: a reset must not depend on the counters.

The counter is written by hand: DRF's SimpleRateThrottle reads a list and writes it
back (two requests at once both pass), while the cache's add and incr are atomic in
Redis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.generic.edit import FormView
from rest_framework.throttling import BaseThrottle

from prm.tenancy.selectors import tenant_base_url

from .models import Role, User

WINDOW_SECONDS = 3600


def _counted(key: str, limit: int) -> bool:
    """Count one more hit on `key` in the current window; True while within `limit`."""
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count is None or count <= limit


def client_address(request: HttpRequest) -> str:
    """The socket's address, or the one REST_FRAMEWORK["NUM_PROXIES"] trusted proxies
    put in X-Forwarded-For (the API's rate limits count the same one)."""
    return str(BaseThrottle().get_ident(request))  # type: ignore[arg-type]


def reset_mail_allowed(*, request: HttpRequest, email: str) -> bool:
    """Count a reset request; False when its client or its address is over the limit."""
    client = hashlib.sha256(client_address(request).encode()).hexdigest()
    if not _counted(f"password-reset:client:{client}", settings.PRM_PASSWORD_RESET_PER_CLIENT):
        return False
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return _counted(f"password-reset:email:{address}", settings.PRM_PASSWORD_RESET_PER_ADDRESS)


class ResetForm(PasswordResetForm):
    """Django's form, which also mails people who never set a password.

    Django skips accounts with an unusable password (they may sign in elsewhere, e.g.
    single sign-on); here such an account is one that was made without a password (an
    invitation not yet followed, a user seeded without one), whose only way in is this
    mail. API keys' service users never get one.
    """

    def get_users(self, email: str) -> Iterator[User]:
        wanted = email.strip().lower()
        for user in User.objects.filter(email__iexact=wanted, is_active=True):
            if user.role != Role.INTEGRATOR and user.email.lower() == wanted:
                yield user


class TenantPasswordResetView(auth_views.PasswordResetView):
    """Mails the link on the tenant's own address, within the rate limits."""

    form_class = ResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        request = self.request
        if reset_mail_allowed(request=request, email=form.cleaned_data["email"]):
            base_url = tenant_base_url(tenant=request.tenant)  # type: ignore[attr-defined]
            address = urlsplit(base_url)
            form.save(
                domain_override=address.netloc,
                use_https=address.scheme == "https",
                token_generator=self.token_generator,
                from_email=self.from_email,
                email_template_name=self.email_template_name,
                subject_template_name=self.subject_template_name,
                request=request,
                html_email_template_name=self.html_email_template_name,
                extra_email_context={
                    "site_name": request.tenant.name,  # type: ignore[attr-defined]
                    "base_url": base_url,
                },
            )
        # The same answer whether a mail went out, the address is unknown or a limit
        # was reached.
        return FormView.form_valid(self, form)
