"""Housekeeping of each tenant's accounts; beat runs them through the dispatcher."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from prm.celery import app


@app.task(name="accounts.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Delete the expired sessions of the tenant the task runs in."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
