"""Rate limits per API key (and per signed-in user), with 429 and Retry-After.

The counters live in the cache, whose keys carry the tenant's schema, so each
tenant's keys have their own budget. If the cache is down, requests pass: a rate
limit must not take the API down with it.
"""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from prm.accounts.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_PER_KEY)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            return f"throttle:key:{request.auth.prefix}"
        return None


class SessionUserRateThrottle(SimpleRateThrottle):
    scope = "session_user"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_PER_USER)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return f"throttle:user:{request.user.pk}"
