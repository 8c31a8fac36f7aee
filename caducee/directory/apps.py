from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "caducee.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self) -> None:
        from caducee.directory import signals

        signals.connect()
