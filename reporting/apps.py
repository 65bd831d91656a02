from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Activity and metrics"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects them)
