from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "prm.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
