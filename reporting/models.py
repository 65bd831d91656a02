"""Activity, rollups and metrics (the activity issue builds this app)."""
