"""Development and the README run command: DEBUG on, mail to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
PRM_PUBLIC_SCHEME = env.str("PRM_PUBLIC_SCHEME", default="http")
PRM_PUBLIC_PORT = env.int("PRM_PUBLIC_PORT", default=env.int("PORT", default=8000))
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Serve straight from the source folders; no collectstatic needed.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Webhooks to a receiver on this machine (http://127.0.0.1:PORT/...) while developing.
PRM_WEBHOOK_ALLOW_HTTP = env.bool("PRM_WEBHOOK_ALLOW_HTTP", default=True)
PRM_WEBHOOK_ALLOWED_NETWORKS = env.list("PRM_WEBHOOK_ALLOWED_NETWORKS", default=["127.0.0.0/8"])
