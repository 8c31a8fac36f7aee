from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "caducee.directory"
    label = "directory"
    verbose_name = "Annuaire"
