from django.apps import AppConfig


class ReferentialsConfig(AppConfig):
    name = "caducee.referentials"
    label = "referentials"
    verbose_name = "Référentiels"
