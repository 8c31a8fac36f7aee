from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "caducee.registration"
    label = "registration"
    verbose_name = "Inscriptions"
