from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self) -> None:
        from . import partner_page  # noqa: F401  (registers the partner page's sections)
