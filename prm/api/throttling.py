"""Rate limits per API key, per signed-in user and per anonymous address, with 429 and
Retry-After.

The counters live in the cache, whose keys carry the tenant's schema, so each
tenant's keys have their own budget. If the cache is down, requests pass: a rate
limit must not take the API down with it. A key's budget is its own `rate_limit`,
else its tenant's `api_rate_limit`, else PRM_API_RATE_PER_KEY (requests a minute for
the first two); PRM_API_RATE_LIMITS_ENABLED=false lifts every limit.
"""

from typing import Any

from django.conf import settings
from django.db import connection
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from prm.accounts.models import ApiKey


class RateThrottle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        if not settings.PRM_API_RATE_LIMITS_ENABLED:
            return True
        return super().allow_request(request, view)


def default_key_rate(tenant: Any) -> str:
    """What a key of `tenant` without a limit of its own gets: "N/minute" or the
    platform's PRM_API_RATE_PER_KEY."""
    tenant_limit = getattr(tenant, "api_rate_limit", None)
    if tenant_limit is not None:
        return f"{tenant_limit}/minute"
    return str(settings.PRM_API_RATE_PER_KEY)


def key_rate(api_key: ApiKey) -> str:
    """The budget of one key, "N/minute" or its tenant's default."""
    if api_key.rate_limit is not None:
        return f"{api_key.rate_limit}/minute"
    return default_key_rate(getattr(connection, "tenant", None))


class ApiKeyRateThrottle(RateThrottle):
    scope = "api_key"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_PER_KEY)

    def allow_request(self, request: Request, view: Any) -> bool:
        # The rate depends on the key, which DRF's __init__ (calling get_rate()) does
        # not know yet.
        if isinstance(request.auth, ApiKey):
            self.rate = key_rate(request.auth)
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            return f"throttle:key:{request.auth.prefix}"
        return None


class AnonymousRateThrottle(RateThrottle):
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


class SessionUserRateThrottle(RateThrottle):
    scope = "session_user"

    def get_rate(self) -> str:
        return str(settings.PRM_API_RATE_PER_USER)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return f"throttle:user:{request.user.pk}"
