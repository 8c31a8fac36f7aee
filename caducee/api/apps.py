from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "caducee.api"
    label = "api"
    verbose_name = "API"
