"""What every slas page needs: the acting user, the object a URL names (a 404 when
the user may not see it), a safe `next`, and the "mine or all" scope of the list
pages. (A service's errors go on a form through prm.web.forms.form_errors_from.)"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from partners.models import Partner
from partners.selectors import partner_get_for_user
from prm.accounts.models import Role, User

from .. import selectors
from ..models import PartnerRequest, SlaPolicy
from ..templatetags.sla_tags import sla_field_label


def actor(request: HttpRequest) -> User:
    # An access decorator let the request in, so the user is a signed-in tenant user.
    assert isinstance(request.user, User)
    return request.user


def policy_or_404(slug: str) -> SlaPolicy:
    return get_object_or_404(selectors.sla_policy_list(), slug=slug)


def partner_or_404(request: HttpRequest, ref: str) -> Partner:
    try:
        return partner_get_for_user(user=request.user, ref=ref)
    except Partner.DoesNotExist as error:
        raise Http404("There is no such partner.") from error


def request_or_404(request: HttpRequest, request_id: int) -> PartnerRequest:
    return get_object_or_404(
        selectors.partner_request_list_for_user(user=request.user), pk=request_id
    )


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def scope_of(request: HttpRequest) -> str:
    """ "mine" (partners I manage) or "all"; managers start with their own."""
    scope = request.GET.get("scope")
    if scope in ("mine", "all"):
        return scope
    return "mine" if actor(request).role == Role.MANAGER else "all"


def changed_labels(fields: list[str]) -> str:
    return ", ".join(sla_field_label(field).lower() for field in fields)
