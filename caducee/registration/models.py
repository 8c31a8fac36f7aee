"""Self-registration requests (« Créer un compte », issue #16) and their emailed codes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class RequestState(models.TextChoices):
    """The request's state; the first, last two are the account's states of the same name."""

    TO_VALIDATE = "a_valider", "À valider"
    TO_CORRECT = "a_corriger", "Correction demandée"
    VALIDATED = "valide", "Validée"
    REJECTED = "rejete", "Rejetée"


class RequestKind(models.TextChoices):
    ORG = "ORG", "Boîte organisationnelle (BAL ORG)"
    PER = "PER", "Compte individuel d'un professionnel libéral (BAL PER)"


class RegistrationRequest(models.Model):
    """One self-registration: the account it created (in state « à valider »), who asked,
    everything they typed (`data`, shown to the service centre), and the decision."""

    kind = models.CharField("type de demande", max_length=3, choices=RequestKind.choices)
    state = models.CharField(
        "état", max_length=10, choices=RequestState.choices, default=RequestState.TO_VALIDATE
    )
    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="registration"
    )
    # The person who proved their address: the nominative account's person (ORG), the
    # new professional (PER). Their address is kept should the person go.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_email = models.EmailField("demandeur", max_length=254)
    region = models.CharField("région", max_length=2)
    data: models.JSONField[dict[str, Any]] = models.JSONField("saisie du demandeur", default=dict)
    # The structure this registration created (none matched its identifier): the service
    # centre keeps it (« Créer la structure ») or attaches the account elsewhere, and then
    # an empty provisional structure is deleted.
    created_structure = models.ForeignKey(
        "structures.Structure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("déposée le", default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("motif", max_length=1000, blank=True)
    # « Demander une correction »: only the hash of the emailed link's token is kept.
    correction_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    correction_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["submitted_at", "pk"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"Demande n° {self.pk} ({self.requester_email})"

    @property
    def age_hours(self) -> int:
        return int((timezone.now() - self.submitted_at).total_seconds() // 3600)

    @property
    def overdue(self) -> bool:
        """Waiting longer than the setting (72 h in seed 003): highlighted in the queue."""
        return self.state in (
            RequestState.TO_VALIDATE,
            RequestState.TO_CORRECT,
        ) and self.age_hours >= int(settings.REGISTRATION_OVERDUE_HOURS)

    @property
    def age_label(self) -> str:
        hours = self.age_hours
        if hours < 1:
            return "moins d'une heure"
        if hours < 48:
            return f"{hours} h"
        return f"{hours // 24} jours"


class EmailProof(models.Model):
    """A 6-digit code emailed to prove an address that has no account yet (a liberal
    professional's registration); only its keyed hash is kept (identity/codes.py)."""

    email = models.EmailField(max_length=254, db_index=True)
    code_hash = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class ServiceCentreMember(models.Model):
    """A person of the operator's side who handles the registration queue (« centre de
    services ») without being an operator of the platform."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_centre"
    )
    created_at = models.DateTimeField(auto_now_add=True)
