from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "caducee.stats"
    label = "stats"
    verbose_name = "Activité des structures"

    def ready(self) -> None:
        from caducee.stats.snapshots import register_job

        register_job()
