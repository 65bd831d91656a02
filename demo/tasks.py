"""The demo's live activity: while the demo runs, beat asks every tenant each few
seconds and the tenants named in PRM_DEMO_LIVE_TENANTS get a little new activity,
so their numbers move."""

from django.conf import settings
from django.db import connection

from prm.celery import app

from .activity import live_tick


@app.task(name="demo.live")
def demo_live() -> int:
    """Add a tick of live activity in a demo tenant; 0 elsewhere."""
    if (
        getattr(getattr(connection, "tenant", None), "slug", None)
        not in settings.PRM_DEMO_LIVE_TENANTS
    ):
        return 0
    return live_tick()
