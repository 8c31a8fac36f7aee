from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "caducee.mail"
    label = "mail"
    verbose_name = "Messagerie"
