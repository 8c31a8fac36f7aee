from django.apps import AppConfig


class StructuresConfig(AppConfig):
    name = "caducee.structures"
    label = "structures"
    verbose_name = "Structures"
