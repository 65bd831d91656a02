from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "prm.demo"
    label = "demo"
    verbose_name = "Demo data"
