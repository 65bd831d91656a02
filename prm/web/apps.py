from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "prm.web"
    label = "web"
    verbose_name = "Web"
