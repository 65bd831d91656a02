"""Development and the README run command: DEBUG on, mail to the console.

`manage.py` in another shell finds what the run command uses (its secret key and,
while it runs, its database, Redis and port, embedded or not) in `.devdata/env`, which
the run command writes (PRM_ENV_FILE names another); variables set in the shell win
over the file.
"""

import os
from pathlib import Path

import environ

environ.Env.read_env(
    os.environ.get("PRM_ENV_FILE") or Path(__file__).resolve().parents[2] / ".devdata" / "env"
)

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

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
