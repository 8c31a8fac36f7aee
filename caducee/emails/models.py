"""The outbox: one row per platform email, written in the transaction that asked for it.

A row is the email's durable record and its idempotency key: tasks send rows, never
messages they carry, so a retried or duplicated task finds the row already sent.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class EmailStatus(models.TextChoices):
    PENDING = "pending", "en attente"
    SENT = "sent", "envoyé"
    FAILED = "failed", "échec"


class OutgoingEmail(models.Model):
    key = models.CharField("clé d'idempotence", max_length=100, unique=True)
    template = models.CharField("modèle", max_length=100)
    recipient = models.CharField("destinataire", max_length=254)
    subject = models.CharField("objet", max_length=998)
    text = models.TextField("texte")
    html = models.TextField("HTML", blank=True)
    queue = models.CharField("file", max_length=32)
    priority = models.SmallIntegerField("priorité", default=0)
    status = models.CharField(
        "état", max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField("tentatives", default=0)
    # When to try (again); the sweep re-enqueues rows past it that nobody claims.
    next_attempt_at = models.DateTimeField("prochaine tentative")
    # A task that sends the row holds it until `claimed_until` (then it may be taken over).
    claim_token = models.CharField(max_length=32, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "email sortant"
        verbose_name_plural = "emails sortants"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_attempt_at"], name="emails_status_next"),
            models.Index(fields=["status", "sent_at"], name="emails_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient} ({self.status})"
