from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "caducee.emails"
    label = "emails"
    verbose_name = "Emails de la plateforme"

    def ready(self) -> None:
        from caducee.emails import jobs

        jobs.register_all()
