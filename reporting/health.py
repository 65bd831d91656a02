"""The "backlog" check of /healthz (registered by ReportingConfig.ready()): how long the
oldest accepted activity row of the request's tenant has waited to reach its metrics.

A fold is queued after each ingestion and beat sweeps every few seconds, so a backlog
older than PRM_HEALTH_BACKLOG_MAX_AGE means rows are accepted but the metrics no
longer follow: no worker on the default queue, no beat, or folds that fail.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from prm.tenancy.db import current_schema
from prm.web.health import CheckFailed, Facts

from . import metrics


def backlog_check(request: HttpRequest) -> Facts | None:
    if current_schema() == get_public_schema_name():
        return None  # the public site has no activity of its own
    bound = float(getattr(settings, "PRM_HEALTH_BACKLOG_MAX_AGE", 120.0))
    backlog = metrics.backlog()
    oldest_at = backlog["oldest_at"]
    age = max(0.0, (timezone.now() - oldest_at).total_seconds()) if oldest_at else 0.0
    facts = {
        "pending": backlog["pending"],
        "oldest_at": oldest_at.isoformat() if oldest_at else None,
        "age_seconds": round(age, 1),
        "max_age_seconds": bound,
    }
    if age > bound:
        raise CheckFailed(
            f"{backlog['pending']} partner-days of activity wait to be folded into the "
            f"metrics, the oldest accepted {age:.0f} s ago, more than "
            f"PRM_HEALTH_BACKLOG_MAX_AGE ({bound:g} s): check that a worker serves the "
            "default queue (`celery -A prm worker`), that beat runs, and the workers' "
            "logs for failing folds.",
            **facts,
        )
    return facts
