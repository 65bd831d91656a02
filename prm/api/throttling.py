"""Rate limits per API key, per signed-in user and per anonymous address, with 429 and
Retry-After.

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


class AnonymousRateThrottle(SimpleRateThrottle):
    """Callers with neither a key nor a session, per address, on the public endpoints
    that cost something (the OpenAPI document). The address is the socket's, or the
    one REST_FRAMEWORK["NUM_PROXIES"] trusted proxies put in X-Forwarded-For: a
    header the caller writes itself must not buy it a fresh budget."""

    scope = "anonymous"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_ANONYMOUS)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or request.user.is_authenticated:
            return None
        return f"throttle:anonymous:{self.get_ident(request)}"


class SessionUserRateThrottle(SimpleRateThrottle):
    scope = "session_user"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_PER_USER)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return f"throttle:user:{request.user.pk}"
