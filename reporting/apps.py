from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Activity and metrics"

    def ready(self) -> None:
        from prm.web.health import register_check

        from . import receivers  # noqa: F401 (connects them)
        from .health import backlog_check

        register_check("backlog", backlog_check)
