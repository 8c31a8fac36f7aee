from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "caducee.coordination"
    label = "coordination"
    verbose_name = "Coordination"
