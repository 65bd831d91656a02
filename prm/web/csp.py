"""The Content-Security-Policy middleware: django-csp's, with one exception.

The platform admin (Django's admin under /admin/ on the public site, with
django-tenants' templates for its index) writes inline styles: a <style> element and
style attributes in templates that are not ours. Under /admin/ styles may therefore be
inline; scripts may not (the admin's scripts are all files), and every other page
keeps the strict policy of settings.CONTENT_SECURITY_POLICY.
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"
ADMIN_POLICY_UPDATE = {"style-src": [UNSAFE_INLINE]}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin = request.path_info.startswith(ADMIN_PREFIX)
        if admin and not report_only and parts.update is None:
            parts.update = ADMIN_POLICY_UPDATE
        return parts
