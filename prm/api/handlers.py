"""Error pages that answer JSON under /api/ and HTML elsewhere.

DRF renders errors raised inside API views; these cover what happens outside them
(an unknown /api/ path, a crash, a bad request rejected by Django itself), so a
client of the API never receives an HTML page.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

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


bad_request = _handler(400, defaults.bad_request)
permission_denied = _handler(403, defaults.permission_denied)
page_not_found = _handler(404, defaults.page_not_found)
server_error = _handler(500, defaults.server_error)
