"""Identity data: single-use links, login codes, remembered browsers, throttles, reminders.

Secrets (link tokens, login codes, browser keys) are never stored in clear: only a hash.
TOTP secrets, which the server must read back, are encrypted (secret_box.py).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class LinkPurpose(models.TextChoices):
    SETUP = "setup", "Création du premier opérateur"
    SET_PASSWORD = "set_password", "Choix du mot de passe"
    FINALISE = "finalise", "Finalisation du compte"
    RESET = "reset_password", "Réinitialisation du mot de passe"


class ActionLink(models.Model):
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class Security(models.Model):
    """Per-person security settings: accepted terms, authenticator app, session generation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security"
    )
    cgu_version = models.CharField("version des CGU acceptée", max_length=32, blank=True)
    cgu_accepted_at = models.DateTimeField("CGU acceptées le", null=True, blank=True)
    totp_secret = models.CharField(max_length=255, blank=True)  # encrypted: secret_box.py
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)  # refuses replay of a used code
    session_generation = models.PositiveIntegerField(default=0)
    # Issue #17 point 4: login codes by SMS to this confirmed mobile (international form).
    sms_number = models.CharField("mobile", max_length=20, blank=True, default="", db_default="")
    sms_confirmed_at = models.DateTimeField(null=True, blank=True)

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed_at is not None

    @property
    def sms_enabled(self) -> bool:
        """The person chose SMS codes (the platform may still have no gateway: sms.py)."""
        return bool(self.sms_number) and self.sms_confirmed_at is not None


class CodePurpose(models.TextChoices):
    LOGIN = "login", "Connexion"
    SMS_SETUP = "sms_setup", "Confirmation d'un mobile"


class LoginCode(models.Model):
    """A 6-digit code sent at login (by email or SMS); only its keyed hash is kept.

    `purpose`: a login code, or the code confirming a mobile number on « Sécurité » (the
    two never stand for each other).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_codes"
    )
    purpose = models.CharField(
        max_length=12, choices=CodePurpose.choices, default="login", db_default="login"
    )
    code_hash = models.CharField(max_length=100)  # "<salt>$<hmac>"
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "-created_at"])]


class TrustedBrowser(models.Model):
    """A browser a person asked to remember: its signed cookie skips the login code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_browsers"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField("navigateur", max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]


class Throttle(models.Model):
    """Failed password or code attempts for one key ('account:<email>' or 'ip:<address>')."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)


class Reminder(models.Model):
    """One "Relancer vos utilisateurs préinscrits": when, by whom, and who was reminded."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="reminders"
    )
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    accounts = models.JSONField(default=list)  # [{"id", "email", "name"}]

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["structure", "-created_at"])]


class ClientCertificate(models.Model):
    """A browser certificate the platform's own CA issued to an external partner (issue
    #17): with the password, it replaces the emailed code (caducee/identity/certificates).

    Checked in the database at each use (serial, not revoked, not expired), so revocation
    takes effect at once; the PKCS#12 file is kept until its one download, then dropped.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_certificates"
    )
    serial = models.CharField("numéro de série", max_length=64, unique=True)  # hex, upper
    subject = models.CharField("sujet", max_length=500)
    not_before = models.DateTimeField("valide à partir du")
    not_after = models.DateTimeField("valide jusqu'au")
    created_at = models.DateTimeField()
    bundle = models.BinaryField(null=True, blank=True)  # the PKCS#12 until its download
    downloaded_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("motif de révocation", max_length=200, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
