"""One JSON shape for every API error.

    {"status": 400, "code": "invalid", "message": "...", "errors": {"field": ["..."]}}

`errors` holds the messages per field for validation errors (and is {} otherwise);
`message` is always a sentence a person can act on.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(status_code: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    return {"status": status_code, "code": code, "message": message, "errors": errors or {}}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, ProtectedError | RestrictedError):
        used_by = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        names = sorted({str(obj._meta.verbose_name_plural) for obj in used_by})
        return Conflict(f"This is still used by {', '.join(names)}; change or remove those first.")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        fields = ", ".join(str(field) for field in errors)
        message = f"The request has errors in: {fields}." if errors else "The request is invalid."
        response.data = error_body(response.status_code, "invalid", message, errors)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(response.status_code, code, str(exc.detail))
    return response


def problem_response(status_code: int, code: str, message: str) -> Response:
    return Response(error_body(status_code, code, message), status=status_code)


__all__ = ["error_body", "exception_handler", "problem_response", "status"]
