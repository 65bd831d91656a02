from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "prm.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the settings check)
