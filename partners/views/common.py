"""What the registry's pages share: the acting user, a partner the user may see or a
404, links that keep the query string."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from prm.accounts.models import User

from .. import selectors
from ..models import Partner


def acting_user(request: HttpRequest) -> User:
    # staff_required let the request in, so the user is a signed-in tenant user.
    assert isinstance(request.user, User)
    return request.user


def partner_or_404(request: HttpRequest, ref: str) -> Partner:
    try:
        return selectors.partner_get_for_user(user=request.user, ref=ref)
    except Partner.DoesNotExist as error:
        raise Http404("There is no such partner.") from error


def query_string(data: QueryDict, **changes: Any) -> str:
    """The query string of `data` with `changes` (None removes a key), e.g. "?q=x&page=2"."""
    query = data.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def safe_next(request: HttpRequest, value: str, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default
