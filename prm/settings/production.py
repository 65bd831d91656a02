"""Production: HTTPS only, secure cookies and headers; everything else from the
environment.

The defaults assume the app itself is reached over HTTPS. Switches (environment):

- PRM_BEHIND_TLS_PROXY=true: a proxy in front terminates TLS and sets
  X-Forwarded-Proto on every request (overwriting what the client sent). Only then is
  that header believed (SECURE_PROXY_SSL_HEADER); with gunicorn published directly
  anyone could send "X-Forwarded-Proto: https" and be taken for a secure request.
- SECURE_SSL_REDIRECT (default true): plain http requests are redirected to https,
  except /healthz, which load balancers and compose's health check ask over http.
  Set it to false only where no TLS is in front at all (a trial on localhost).
- SECURE_HSTS_SECONDS (default a year; 0 turns HSTS off), SECURE_HSTS_INCLUDE_SUBDOMAINS
  (default true: every tenant is a subdomain of the base domain), SECURE_HSTS_PRELOAD
  (default false: asking browsers to hard-code the base domain is a commitment that
  takes months to undo). Browsers honour HSTS only over https, so it changes nothing
  on a plain http trial.
- SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE (default true).
"""

from .base import *  # noqa: F403
from .base import env

if env.bool("PRM_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# SecurityMiddleware matches these against the path without its leading slash.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# `check --deploy` warns (security.W021) whenever HSTS is on without preload; preload
# is a choice left to the operator (above), not an oversight.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
