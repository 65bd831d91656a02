"""Request bodies refused by their declared size before anything reads them.

A view that takes an upload says how large a body it accepts (`@body_limit(bytes)`);
`BodyLimitMiddleware`, placed before CsrfViewMiddleware (which reads a form's body for
its token), answers 413 from Content-Length before a byte of the body is read, so a
200 MB upload to a 20 MB form costs a header, not 200 MB of temporary files. A body
without Content-Length (chunked) is never read by Django (it reads up to the declared
length, none), so it reaches the view empty and the form asks for its file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from prm.api.errors import error_body

View = TypeVar("View", bound=Callable[..., Any])


def body_limit(limit: int, *, accepted: str = "") -> Callable[[View], View]:
    """Refuse bodies of more than `limit` bytes; `accepted` says what is accepted, in
    the words of the page ("files of at most 20 MB can be imported")."""

    def mark(view: View) -> View:
        view.body_limit = (limit, accepted or f"at most {_megabytes(limit)} is accepted")  # type: ignore[attr-defined]
        return view

    return mark


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        bound = getattr(view, "body_limit", None)
        if bound is None:
            return None
        limit, accepted = bound
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared <= limit:
            return None
        message = (
            f"The upload is {_megabytes(declared)}; {accepted}. Split it into smaller "
            "files and send them one by one."
        )
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(413, "too_large", message), status=413)
        return render(request, "413.html", {"message": message}, status=413)
