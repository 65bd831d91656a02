from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "prm.portal"
    label = "portal"
    verbose_name = "Partner portal"
