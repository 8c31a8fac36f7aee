from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "caducee.exports"
    label = "exports"
    verbose_name = "Exports en arrière-plan"

    def ready(self) -> None:
        from caducee.exports.purge import register_job

        register_job()
