"""Error pages that answer JSON under /api/ and HTML elsewhere.

The HTML pages use the site's layout (templates/403.html and 404.html extend base.html:
navigation and sign-out); 500.html is a page of its own that needs neither the
database nor the request, either of which may be what failed. A 403 names the
tenant's administrators, whom to ask; a partner user whose portal is closed (no
partner linked, or a terminated one) is told so in those words.

DRF renders errors raised inside API views; these cover what happens outside them
(an unknown /api/ path, a crash, a bad request rejected by Django itself), so a
client of the API never receives an HTML page. The handlers serve with DEBUG off;
with DEBUG on Django answers with its own technical pages instead, which
ApiErrorMiddleware turns into the same JSON (the run command's settings have DEBUG on).
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token
from django_tenants.utils import get_public_schema_name

from prm.accounts.selectors import user_list_admins

from .errors import error_body

API_PREFIXES = ("/api/",)

MESSAGES = {
    400: ("bad_request", "The request could not be read."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "There is nothing at this address; see /api/docs/ for the API's paths."),
    500: (
        "server_error",
        "Something went wrong on our side; the error is logged. Try again later.",
    ),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def _json(status: int) -> JsonResponse:
    code, message = MESSAGES[status]
    return JsonResponse(error_body(status, code, message), status=status)


def _handler(status: int, html: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _json(status) if _is_api(request) else html(request, *args, **kwargs)

    return handler


def _portal_prefix() -> str | None:
    try:
        # The portal's address by name (the platform imports no door).
        return reverse("portal:home")
    except NoReverseMatch:
        return None


@requires_csrf_token
def _permission_denied_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    user: Any = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    signed_in = bool(user is not None and user.is_authenticated and user.is_active)
    in_tenant = tenant is not None and tenant.schema_name != get_public_schema_name()
    admins: list[Any] = []
    if signed_in and in_tenant:
        try:
            admins = [admin for admin in user_list_admins()[:3] if admin.pk != user.pk]
        except DatabaseError:
            admins = []
    portal = _portal_prefix()
    portal_closed = bool(
        signed_in
        and getattr(user, "is_partner_user", False)
        and portal
        and request.path.startswith(portal)
    )
    response = TemplateResponse(
        request,
        "403.html",
        {
            "exception": str(exception) if exception else "",
            "admins": admins,
            "portal_closed": portal_closed,
        },
        status=403,
    )
    return response.render()


bad_request = _handler(400, defaults.bad_request)
permission_denied = _handler(403, _permission_denied_page)
page_not_found = _handler(404, defaults.page_not_found)


def _server_error_page(request: HttpRequest) -> HttpResponse:
    """templates/500.html rendered with no context at all. Not Django's server_error:
    that one asks for the CSRF token, which (CSRF_USE_SESSIONS) reads the session from
    the database, and the database may be what failed."""
    return HttpResponseServerError(loader.get_template("500.html").render())


server_error = _handler(500, _server_error_page)


# Headers of the original answer that still hold for its JSON replacement.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


class ApiErrorMiddleware:
    """An error answer under /api/ that is not JSON (Django's technical 404 and 500
    pages under DEBUG, an HTML error from a plain Django view) becomes the API's error
    shape with the same status. Django has logged a crash already by then."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code, message = MESSAGES.get(status, ("error", f"{_phrase(status)}."))
        replacement = JsonResponse(error_body(status, code, message), status=status)
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "The request failed"
