"""drf-spectacular extensions: describe our authentication and our one error shape in
the OpenAPI document, with an example of each error as the API really answers it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "prm.accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant API key: `Authorization: Bearer prm_…`. "
            "Keys work only on their own tenant's host.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error has this shape; ingestion errors add their counts.",
    "properties": {
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "description": "messages per field, or per row index for ingestion",
            "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
        },
    },
    "required": ["status", "code", "message", "errors"],
    "additionalProperties": True,
    "example": {
        "status": 400,
        "code": "invalid",
        "message": "The request has errors in: name.",
        "errors": {"name": ["This field is required."]},
    },
}

# gunicorn's --limit-request-line in the run command (prm/devstack) and the Dockerfile:
# its largest value short of unlimited.
REQUEST_LINE_LIMIT = 8190

ERROR_STATUSES = {
    "400": "The request has errors; `errors` names them.",
    "401": "No credentials, or an API key that is not valid on this host.",
    "403": "The caller may not do this (role or key scope).",
    "404": "No such object here.",
    "405": "This method is not allowed here.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


# One example per status: the code and message our exception handler (prm/api/errors.py)
# and DRF really produce; tests/api/test_schema_examples.py provokes each of them.
ERROR_EXAMPLES: dict[str, tuple[str, str, str, dict]] = {
    "400": (
        "A field is missing",
        "invalid",
        "The request has errors in: name.",
        {"name": ["This field is required."]},
    ),
    "401": (
        "No API key",
        "not_authenticated",
        "Authentication credentials were not provided.",
        {},
    ),
    "403": (
        "A read-only key writes",
        "permission_denied",
        'This API key lacks the "write" scope.',
        {},
    ),
    "404": ("No such object", "not_found", "Not found.", {}),
    "405": ("Wrong method", "method_not_allowed", 'Method "DELETE" not allowed.', {}),
    "409": (
        "Still in use",
        "conflict",
        "This is still used by orders; change or remove those first.",
        {},
    ),
    "413": (
        "Body too large",
        "too_large",
        "The body is larger than 536870912 bytes; send it in parts.",
        {},
    ),
    "415": (
        "Unsupported media type",
        "unsupported_media_type",
        "Send application/json, application/x-ndjson or text/csv, not \u201ctext/plain\u201d.",
        {},
    ),
    "429": (
        "Rate limited",
        "throttled",
        "Request was throttled. Expected available in 12 seconds.",
        {},
    ),
}

# Ingestion answers 400 with its counts too when nothing was stored.
INGEST_ERROR_EXAMPLE = {
    "status": 400,
    "code": "invalid",
    "message": "Nothing was stored: with atomic=true every row must be valid.",
    "errors": [
        {
            "index": 1,
            "errors": {"partner": ["There is no partner with ref \u201cnobody\u201d."]},
        }
    ],
    "received": 2,
    "created": 0,
    "updated": 0,
    "unchanged": 0,
}


def error_examples(status: str, *, ingestion: bool) -> dict[str, dict]:
    summary, code, message, errors = ERROR_EXAMPLES[status]
    examples = {
        code: {
            "summary": summary,
            "value": {"status": int(status), "code": code, "message": message, "errors": errors},
        }
    }
    if ingestion and status == "400":
        examples["nothing_stored"] = {
            "summary": "No row was stored (atomic=true, or no valid row)",
            "value": INGEST_ERROR_EXAMPLE,
        }
    return examples


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing: document the error shape on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = dict(ERROR_STATUSES)
            if path.startswith("/api/v1/activity/") and method == "post":
                statuses["413"] = "The body is larger than the limit."
                statuses["415"] = "Send application/json, application/x-ndjson or text/csv."
            if method in ("put", "patch", "delete", "post"):
                statuses["409"] = "The object is still in use, or the change conflicts."
            ingestion = path.startswith("/api/v1/activity/") and method == "post"
            for status, description in statuses.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": reference,
                                "examples": error_examples(status, ingestion=ingestion),
                            }
                        },
                    },
                )
            # Refused by the web server (gunicorn) before the application runs, so
            # in its own words and type; the run command and the image allow 8190 bytes.
            responses.setdefault(
                "414",
                {
                    "description": "The request line (method, path and query) is longer "
                    f"than {REQUEST_LINE_LIMIT} bytes; the web server refuses it, as a short "
                    "HTML page, before the API sees it. Send long filters in fewer values.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            )
    return result
