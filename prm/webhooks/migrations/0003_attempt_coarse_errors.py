"""Errors logged before deliveries reported coarse reasons kept the operating
system's words ("[Errno 111] Connection refused", resolver and TLS detail): rewrite
them into the categories deliveries log now. Nothing to undo: the detail is gone on
purpose."""

from django.db import migrations


def coarsen(apps, schema_editor):
    Attempt = apps.get_model("webhooks", "Attempt")
    rewritten = (
        ("timed out", ("timed out", "timeout")),
        ("TLS error", ("ssl", "tls", "certificate")),
        ("host name did not resolve", ("name or service not known", "getaddrinfo", "nodename")),
    )
    for attempt in Attempt.objects.exclude(error="").only("id", "error").iterator():
        text = attempt.error.lower()
        category = next(
            (name for name, words in rewritten if any(word in text for word in words)),
            "connection failed",
        )
        if attempt.error != category:
            attempt.error = category
            attempt.save(update_fields=["error"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_attempt_no_response_body")]

    operations = [migrations.RunPython(coarsen, migrations.RunPython.noop)]
