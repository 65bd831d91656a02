"""The test suite: fast hashing, mail kept in memory, no throttling surprises."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Mailed links name the tenant's host as the test clients reach it.
PRM_PUBLIC_SCHEME = "http"
PRM_PUBLIC_PORT = None
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Suites make many requests with one key; the throttling tests set their own rates.
PRM_API_RATE_PER_KEY = "100000/minute"
PRM_API_RATE_PER_USER = "100000/minute"
PRM_API_RATE_ANONYMOUS = "100000/minute"
# Webhook retries in tests come quickly.
PRM_WEBHOOK_RETRY_BASE_SECONDS = 0.2
PRM_WEBHOOK_TIMEOUT = 3.0
# The tests' webhook receivers listen on loopback, over plain http; nothing else is
# allowed (the SSRF tests set the list back to empty to show the refusals).
PRM_WEBHOOK_ALLOW_HTTP = True
PRM_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
# The dashboard's live refresh comes every second, so browser tests see several.
PRM_DASHBOARD_POLL_SECONDS = 1
# Tests wait for workers they start themselves; keep pings short.
PRM_HEALTH_WORKER_TIMEOUT = 2.0
