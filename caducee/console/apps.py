from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "caducee.console"
    label = "console"
    verbose_name = "Console"
