"""The demo's live activity: while the demo runs, beat asks every tenant each few
seconds and the tenants named in PRM_DEMO_LIVE_TENANTS get the activity of those
seconds (demo.activity.live_rows: at the history's daily rate), so their numbers move
as they would in a real programme."""

from datetime import timedelta

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
    # The time since the last tick: beat's interval for this job (a tick that is late
    # adds a little less, never more).
    every = settings.CELERY_BEAT_SCHEDULE.get("demo-live", {}).get("schedule", 10.0)
    elapsed = every if isinstance(every, timedelta) else timedelta(seconds=float(every))
    return live_tick(elapsed=elapsed)
