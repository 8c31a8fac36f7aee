from django.apps import AppConfig


class LoadusersConfig(AppConfig):
    name = "caducee.loadusers"
    label = "loadusers"
    verbose_name = "Import et export des comptes"
