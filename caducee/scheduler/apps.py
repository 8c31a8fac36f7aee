from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "caducee.scheduler"
    label = "scheduler"
    verbose_name = "Tâches planifiées"

    def ready(self) -> None:
        from caducee.scheduler import builtin

        builtin.register_all()
