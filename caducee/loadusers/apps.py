from django.apps import AppConfig


class LoadusersConfig(AppConfig):
    name = "caducee.loadusers"
    label = "loadusers"
    verbose_name = "Import et export des comptes"

    def ready(self) -> None:
        from caducee.loadusers.recovery import register_job

        register_job()  # the scheduler runs again the imports whose worker died
