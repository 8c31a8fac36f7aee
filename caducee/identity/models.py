"""Single-use links: only the SHA-256 of the token is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LinkPurpose(models.TextChoices):
    SETUP = "setup", "Création du premier opérateur"
    SET_PASSWORD = "set_password", "Choix du mot de passe"


class ActionLink(models.Model):
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
