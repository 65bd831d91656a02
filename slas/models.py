"""SLA policies (the SLA issue builds this app)."""
