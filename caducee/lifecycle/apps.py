from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "caducee.lifecycle"
    label = "lifecycle"
    verbose_name = "Cycle de vie des comptes"

    def ready(self) -> None:
        from caducee.lifecycle.job import register_job

        register_job()
