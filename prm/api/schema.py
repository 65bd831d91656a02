"""drf-spectacular extensions: describe our authentication in the OpenAPI document."""

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
}

ERROR_STATUSES = {
    "400": "The request has errors; `errors` names them.",
    "401": "No credentials, or an API key that is not valid on this host.",
    "403": "The caller may not do this (role or key scope).",
    "404": "No such object here.",
    "405": "This method is not allowed here.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


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
            for status, description in statuses.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
