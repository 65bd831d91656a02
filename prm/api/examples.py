"""OpenAPI examples of the account endpoints, copied from what the API really answers
(tests/api/test_schema_examples.py checks them against the schema)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

ME_EXAMPLES = [
    OpenApiExample(
        "An API key",
        value={
            "email": "api-key-5b958432b421@api-keys.invalid",
            "role": "integrator",
            "api_key": "ERP sync",
            "scopes": ["read", "write"],
        },
        response_only=True,
    ),
    OpenApiExample(
        "A signed-in manager",
        value={
            "email": "manager@demo.test",
            "role": "manager",
            "api_key": None,
            "scopes": ["read", "write"],
        },
        response_only=True,
    ),
]

API_KEY: dict[str, Any] = {
    "id": 2,
    "name": "ERP sync",
    "prefix": "5b958432b421",
    "scopes": ["read", "write"],
    "rate_limit": None,
    "is_active": True,
    "created_by": "admin@demo.test",
    "created_at": "2026-11-02T14:02:51.160834Z",
    "last_used_at": "2026-11-24T15:31:02.101127Z",
    "revoked_at": None,
}

API_KEY_EXAMPLES = [OpenApiExample("A key in use", value=API_KEY, response_only=True)]

API_KEY_CREATE_EXAMPLES = [
    OpenApiExample(
        "A read-write key",
        value={"name": "ERP sync", "scopes": ["read", "write"]},
        request_only=True,
    ),
    OpenApiExample(
        "A key with a budget of its own",
        value={"name": "Nightly CRM import", "scopes": ["read", "write"], "rate_limit": 6000},
        request_only=True,
        description="6,000 requests a minute instead of the tenant's default.",
    ),
]

API_KEY_UPDATE_EXAMPLES = [
    OpenApiExample(
        "Raise a key's rate limit",
        value={"rate_limit": 6000},
        request_only=True,
    ),
    OpenApiExample(
        "Back to the tenant's default",
        value={"rate_limit": None},
        request_only=True,
    ),
]

API_KEY_CREATED_EXAMPLES = [
    OpenApiExample(
        "The new key, shown once",
        value={
            **API_KEY,
            "last_used_at": None,
            "key": "prm_5b958432b421_VaQOpxhJlxxtBTB0jc2jWZ427DnNl58LtFRgf5NTCig",
        },
        response_only=True,
        description="Send it as `Authorization: Bearer <key>`; only its prefix is kept.",
    )
]
