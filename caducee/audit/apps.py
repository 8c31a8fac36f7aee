from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "caducee.audit"
    label = "audit"
    verbose_name = "Journal d'audit"

    def ready(self) -> None:
        # A malformed CADUCEE_AUDIT_KEY stops the program at start, not at the first event.
        from caducee.audit.chain import audit_key

        audit_key()
