"""Limits and timings of the app's own work, each from the environment with its
default: API rate limits, webhook deliveries, how long beat's sweeps wait before
queueing work again, the largest upload, a DNS lookup's time. Part of every
environment's settings (prm.settings.base imports them all)."""

import environ

env = environ.Env()

# Requests per API key and per signed-in user ("N/second|minute|hour|day"). A tenant's
# own default for its keys (Tenant.api_rate_limit) and one key's limit
# (ApiKey.rate_limit), both in requests a minute, replace PRM_API_RATE_PER_KEY; neither
# may exceed PRM_API_RATE_MAX_PER_MINUTE. PRM_API_RATE_LIMITS_ENABLED=false lifts every
# API rate limit (a load test, a fuzzer on a test instance), never in production.
PRM_API_RATE_LIMITS_ENABLED = env.bool("PRM_API_RATE_LIMITS_ENABLED", default=True)
PRM_API_RATE_PER_KEY = env.str("PRM_API_RATE_PER_KEY", default="1200/minute")
PRM_API_RATE_MAX_PER_MINUTE = env.int("PRM_API_RATE_MAX_PER_MINUTE", default=60000)
PRM_API_RATE_PER_USER = env.str("PRM_API_RATE_PER_USER", default="600/minute")
# Anonymous requests per address to the public endpoints that cost CPU (/api/schema/).
PRM_API_RATE_ANONYMOUS = env.str("PRM_API_RATE_ANONYMOUS", default="30/minute")
# Webhooks: seconds per try, tries per delivery, back-off, and how many failed
# deliveries in a row disable a subscription.
PRM_WEBHOOK_TIMEOUT = env.float("PRM_WEBHOOK_TIMEOUT", default=10.0)
PRM_WEBHOOK_MAX_ATTEMPTS = env.int("PRM_WEBHOOK_MAX_ATTEMPTS", default=8)
PRM_WEBHOOK_RETRY_BASE_SECONDS = env.float("PRM_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
PRM_WEBHOOK_RETRY_MAX_SECONDS = env.float("PRM_WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600.0)
PRM_WEBHOOK_DISABLE_AFTER = env.int("PRM_WEBHOOK_DISABLE_AFTER", default=5)
# Seconds a delivery's try may be overdue (never tried since it was recorded, or past
# its next_attempt_at) before beat's webhooks-delivery-sweep queues it again; longer
# than a busy webhooks queue keeps a delivery waiting, or a receiver may get it twice.
PRM_WEBHOOK_OVERDUE_SECONDS = env.float("PRM_WEBHOOK_OVERDUE_SECONDS", default=300.0)
# Webhook receivers must be https on public addresses (prm/webhooks/targets.py).
# PRM_WEBHOOK_ALLOW_HTTP lets plain http through too; PRM_WEBHOOK_ALLOWED_NETWORKS
# (comma-separated CIDRs, e.g. 127.0.0.0/8) are networks that are not public but
# allowed anyway: for tests and local receivers, never an internal network in
# production.
PRM_WEBHOOK_ALLOW_HTTP = env.bool("PRM_WEBHOOK_ALLOW_HTTP", default=False)
PRM_WEBHOOK_ALLOWED_NETWORKS = env.list("PRM_WEBHOOK_ALLOWED_NETWORKS", default=[])
# Seconds an import job may wait for its check or its import to begin before beat's
# partners-import-sweep queues that step again; longer than a tenant's imports wait
# for one another on the bulk queue, or its jobs are queued twice (harmless: the
# second run finds the step done).
PRM_IMPORT_OVERDUE_SECONDS = env.float("PRM_IMPORT_OVERDUE_SECONDS", default=600.0)
# Seconds an SLA event's e-mail may stay unsent before beat's slas-event-mail-sweep
# queues it again (events of the last day only); it is sent once either way.
PRM_SLA_MAIL_OVERDUE_SECONDS = env.float("PRM_SLA_MAIL_OVERDUE_SECONDS", default=600.0)
# Largest activity upload accepted in one request (bytes); larger ones get 413.
PRM_INGEST_MAX_BYTES = env.int("PRM_INGEST_MAX_BYTES", default=512 * 1024 * 1024)
# Seconds a whole DNS lookup may take before it is stored as a timeout.
PRM_DNS_LIFETIME = env.float("PRM_DNS_LIFETIME", default=4.0)
# Seconds between the dashboard's polls for fresh numbers (an unchanged answer is a
# 204 of three small queries).
PRM_DASHBOARD_POLL_SECONDS = env.int("PRM_DASHBOARD_POLL_SECONDS", default=5)
# Days an invitation's set-password link works (prm.accounts.invitations).
PRM_INVITATION_DAYS = env.int("PRM_INVITATION_DAYS", default=7)
