from django.apps import AppConfig


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = "SLA policies"

    def ready(self) -> None:
        from . import partner_hooks, receivers  # noqa: F401
