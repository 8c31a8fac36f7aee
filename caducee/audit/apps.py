from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "caducee.audit"
    label = "audit"
    verbose_name = "Journal d'audit"
