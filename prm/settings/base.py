"""Settings shared by every environment; all of it comes from the environment.

The variable names are part of the contract in DESIGN.md: DATABASE_URL, REDIS_URL,
SECRET_KEY, DEBUG, ALLOWED_HOSTS, PRM_BASE_DOMAIN and PRM_DNS_NAMESERVERS.
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")

PRM_BASE_DOMAIN = env.str("PRM_BASE_DOMAIN", default="localhost").lower().strip(".")
# How links that leave a request (password reset mails, commands' output) reach a
# tenant: its primary domain with this scheme and, unless the scheme's default, port.
PRM_PUBLIC_SCHEME = env.str("PRM_PUBLIC_SCHEME", default="https")
PRM_PUBLIC_PORT = env.int("PRM_PUBLIC_PORT", default=None)
# Password reset mails: at most this many per address, and requests per client
# address, per hour (prm.accounts.password_reset).
PRM_PASSWORD_RESET_PER_ADDRESS = env.int("PRM_PASSWORD_RESET_PER_ADDRESS", default=3)
PRM_PASSWORD_RESET_PER_CLIENT = env.int("PRM_PASSWORD_RESET_PER_CLIENT", default=10)
# Comma-separated host[:port] of the resolvers used for partner DNS checks; empty
# means the system's resolvers.
PRM_DNS_NAMESERVERS = env.list("PRM_DNS_NAMESERVERS", default=[])

# Every tenant lives at <slug>.<base domain>; the base domain itself is the public site.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PRM_BASE_DOMAIN, f".{PRM_BASE_DOMAIN}"])

# --- applications -----------------------------------------------------------------

# Apps whose tables live in the public schema only, or in both (accounts, auth and
# contenttypes are in both: platform operators sign in to the public site, tenant
# users to their own tenant, and neither can see the other).
SHARED_APPS = [
    "django_tenants",
    "prm.tenancy",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "prm.accounts",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "django_countries",
    "phonenumber_field",
    "simple_history",
    "prm.web",
    "prm.api",
    "demo",
]

# Apps whose tables live in every tenant schema.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "axes",
    "simple_history",
    "prm.accounts",
    "prm.webhooks",
    "partners",
    "slas",
    "reporting",
    "console",
    "portal",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "prm.urls_public"
ROOT_URLCONF = "prm.urls"
# New tenants are cloned from this schema, kept migrated like any tenant, instead of
# replaying every migration (prm.tenancy.services).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# `SET search_path` once per connection and tenant, not before every query.
TENANT_LIMIT_SET_CALLS = True
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("PRM_MIGRATE_PROCESSES", default=4)
TENANT_MULTIPROCESSING_CHUNKS = 2
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "prm.tenancy.middleware.TenantMiddleware",
    # The tenant's time zone is the active one from here on (pages; the API keeps UTC).
    "prm.tenancy.middleware.TenantTimeZoneMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's (inline styles allowed in the platform admin only); before WhiteNoise,
    # so static files carry the policy too.
    "prm.web.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Error answers under /api/ are JSON, with DEBUG on too.
    "prm.api.handlers.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads a form's body for its token: uploads over their view's
    # limit are refused from Content-Length, unread.
    "prm.web.body_limits.BodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' rule).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prm.web.context_processors.navigation",
                "slas.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "prm.wsgi.application"

# --- data stores ------------------------------------------------------------------

DATABASES = {"default": env.db_url("DATABASE_URL")}
# A Unix socket directory comes percent-encoded in the URL's host (libpq's convention).
DATABASES["default"]["HOST"] = unquote(str(DATABASES["default"].get("HOST", "")))
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT compilation and no parallel workers: our queries are short (rollups, not raw
# events); compiling one took longer than running it (25 ms more for a dashboard
# chart's 27,000 rows; up to 0.5 s for a recompute's span rebuild), and starting
# workers for a scan of a few thousand rows made it 5x slower (a manager's year: 3 ms
# alone, 17 ms with two workers). A DATABASE_URL ?options= wins.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "options", "-c jit=off -c max_parallel_workers_per_gather=0"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL")

# --- Redis outages and /healthz ---------------------------------------------------
# Seconds one Redis command may take (the cache, rate limits, /healthz, beat's
# heartbeat, a task queued while answering a request) before it counts as an outage.
PRM_REDIS_TIMEOUT = env.float("PRM_REDIS_TIMEOUT", default=0.5)
# After an outage each process leaves that Redis server alone for this many seconds
# (prm.breaker: the cache misses, rate limits pass, folds wait for beat's sweep), then
# tries it again; so a hung Redis costs a request one PRM_REDIS_TIMEOUT at most.
PRM_REDIS_BREAKER_SECONDS = env.float("PRM_REDIS_BREAKER_SECONDS", default=5.0)
# /healthz answers 503 when Celery beat's last heartbeat (it writes one every 5 s) is
# older than this many seconds, or when the request's tenant has accepted activity
# that has waited longer than this to reach the rollups (the sweep folds every 5 s).
PRM_HEALTH_BEAT_MAX_AGE = env.float("PRM_HEALTH_BEAT_MAX_AGE", default=60.0)
PRM_HEALTH_BACKLOG_MAX_AGE = env.float("PRM_HEALTH_BACKLOG_MAX_AGE", default=120.0)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the tenant that wrote it.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": PRM_REDIS_TIMEOUT,
            "SOCKET_TIMEOUT": PRM_REDIS_TIMEOUT,
            # Through the Redis server's circuit breaker (prm.breaker).
            "CONNECTION_POOL_CLASS": "prm.breaker.GuardedConnectionPool",
            # A cache outage degrades to cache misses; /healthz still reports it.
            "IGNORE_EXCEPTIONS": True,
        },
    },
}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Sessions live in each tenant's own schema, and the cookie is host-only (no
# SESSION_COOKIE_DOMAIN), so a session from one tenant host never reaches another.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF secret lives in the session, not in a cookie of its own: a session belongs
# to one tenant's schema, so a token issued on one tenant host is refused on every
# other (a csrftoken cookie would pass anywhere it was sent). Pages hand the token to
# htmx through the hx-headers attribute (templates/base.html), never through a cookie.
# Anonymous visitors of a page with a form (the login page) get a session row for it.
CSRF_USE_SESSIONS = True

# --- security headers ---------------------------------------------------------------

# On every answer, pages and API alike (SecurityMiddleware); the defaults are Django's,
# stated because the security tests rely on them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every answer: nothing but our own origin's
# scripts, styles, fonts and images (and data: images, which Bootstrap's CSS uses for
# its icons in form controls); no inline script or style, no plugin, no framing. Pages
# keep their scripts in static/js and their styles in static/css; htmx is told not to
# add its own <style> (templates/base.html), and the API docs page loads its set-up
# script from its own URL (prm/api/docs.py). Nothing is loaded from another host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- authentication ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins are counted per user name and address; after five in fifteen minutes
# that pair is locked out for fifteen minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"prm@{PRM_BASE_DOMAIN}")

# --- internationalisation -----------------------------------------------------------

LANGUAGE_CODE = "en-us"
# Django's fallback date formats match prm.web.formats' (prm/formats/en/formats.py).
FORMAT_MODULE_PATH = ["prm.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# --- static files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".devdata" / "staticfiles"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# Front-end packages come from the npm registry (package-lock.json) and are served
# straight from their distribution folders.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS += [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / ".devdata" / "media"

# --- REST API ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prm.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["prm.api.permissions.IsStaffOrScopedKey"],
    "DEFAULT_RENDERER_CLASSES": ["prm.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "prm.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "prm.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "prm.api.throttling.ApiKeyRateThrottle",
        "prm.api.throttling.SessionUserRateThrottle",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many proxies in front of gunicorn append to X-Forwarded-For; anonymous rate
    # limits count the address that many hops back. 0: the socket's own address (the
    # header is the caller's to write, so it is not believed).
    "NUM_PROXIES": env.int("PRM_TRUSTED_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "prm API",
    "DESCRIPTION": "Partner registry, SLA policies, activity ingestion and metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files (npm's swagger-ui-dist), not a CDN.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "ENUM_NAME_OVERRIDES": {
        "PartnerStatusEnum": "partners.models.PartnerStatus",
        "OrderStatusEnum": "reporting.models.OrderStatus",
        "DeliveryStateEnum": "prm.webhooks.models.DeliveryState",
        "WebhookEventEnum": "prm.webhooks.models.WebhookEvent",
        "ClockStateEnum": "slas.models.ClockState",
        # Two "kind" fields: a partner request's and a message of its conversation.
        "RequestKindEnum": "slas.models.RequestKind",
        "MessageKindEnum": "slas.models.MessageKind",
        # A person's role in the users API (an API key's "integrator" is no person's).
        "PersonRoleEnum": "prm.accounts.models.PERSON_ROLE_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "prm.api.schema.add_error_responses",
    ],
}

# --- Celery -----------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only when it has finished, and redelivered if its worker
# dies, so work is redone rather than lost; tasks are written to be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Socket timeouts so a publish to a Redis that stopped answering fails instead of
# hanging a request or a worker; both stay above the transport's 1 s BRPOP poll.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 600,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Heavy work has queues of its own, served by workers of their own (the run command's
# and compose's `worker-bulk`), so a long import or a slow webhook receiver never
# waits in front of the rollup folds on the default queue ("celery").
CELERY_TASK_ROUTES = {
    "partners.import_validate": {"queue": "bulk"},
    "partners.import_apply": {"queue": "bulk"},
    "partners.dns_check_all": {"queue": "bulk"},
    "reporting.reconcile": {"queue": "bulk"},
    "slas.evaluate_minimums": {"queue": "bulk"},
    "webhooks.deliver": {"queue": "webhooks"},
}
# How many workers of a queue one tenant may hold at once, and how long a lease lasts
# if its worker dies holding it (prm.tenancy.fairness).
PRM_TENANT_QUEUE_LIMITS = {
    "bulk": {
        "concurrency": env.int("PRM_TENANT_BULK_CONCURRENCY", default=1),
        "lease_seconds": 3600,
    },
    "webhooks": {
        "concurrency": env.int("PRM_TENANT_WEBHOOK_CONCURRENCY", default=2),
        "lease_seconds": 120,
    },
}
# A task delivered this many times without finishing (its worker died each time) is
# given up instead of being run again.
PRM_TASK_MAX_DELIVERIES = env.int("PRM_TASK_MAX_DELIVERIES", default=5)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".devdata" / "celerybeat-schedule")
# Periodic jobs. A tenant job runs through prm.tenancy.tasks.dispatch, which queues
# it once per tenant inside that tenant's schema.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "clear-expired-sessions": {
        "task": "tenancy.dispatch",
        "schedule": crontab(hour=3, minute=17),
        "args": ["accounts.clear_expired_sessions"],
    },
    "slas-evaluate-clocks": {
        "task": "tenancy.dispatch",
        "schedule": 120.0,
        "args": ["slas.evaluate_clocks"],
    },
    "reporting-fold-sweep": {
        "task": "tenancy.dispatch",
        "schedule": 5.0,
        "args": ["reporting.fold_pending"],
    },
    "reporting-reconcile": {
        "task": "tenancy.dispatch",
        "schedule": crontab(hour=1, minute=45),
        "args": ["reporting.reconcile"],
    },
    "slas-evaluate-minimums": {
        "task": "tenancy.dispatch",
        "schedule": crontab(hour=4, minute=10),
        "args": ["slas.evaluate_minimums"],
    },
    "partners-dns-recheck": {
        "task": "tenancy.dispatch",
        "schedule": crontab(hour=2, minute=30),
        "args": ["partners.dns_check_all"],
    },
    # Work saved while the broker was down (its task could not be queued when the
    # write committed, prm.celery.queue_on_commit) or whose message was lost: each
    # sweep queues what has waited longer than its PRM_*_OVERDUE_SECONDS below.
    "webhooks-delivery-sweep": {
        "task": "tenancy.dispatch",
        "schedule": 60.0,
        "args": ["webhooks.sweep_deliveries"],
    },
    "partners-import-sweep": {
        "task": "tenancy.dispatch",
        "schedule": 60.0,
        "args": ["partners.sweep_imports"],
    },
    "slas-event-mail-sweep": {
        "task": "tenancy.dispatch",
        "schedule": 60.0,
        "args": ["slas.sweep_event_mails"],
    },
}
# Tenants whose demo activity keeps growing while the app runs (the run command's demo).
PRM_DEMO_LIVE_TENANTS = env.list("PRM_DEMO_LIVE_TENANTS", default=[])
if PRM_DEMO_LIVE_TENANTS:
    CELERY_BEAT_SCHEDULE["demo-live"] = {
        "task": "tenancy.dispatch",
        "schedule": 10.0,
        "args": ["demo.live"],
    }
# Limits and timings of the app's own work (API rate limits, webhooks, the sweeps'
# patience, uploads, DNS lookups): prm/settings/limits.py, every one from the
# environment too.
from .limits import *  # noqa: E402, F403

# --- logging ----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
