"""A long export: asked by one person, built by a task, kept in storage until it expires."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class ExportState(models.TextChoices):
    QUEUED = "queued", "En file d'attente"
    RUNNING = "running", "En préparation"
    READY = "ready", "Prêt"
    FAILED = "failed", "Échec"


class ExportFile(models.Model):
    """The file lives in Django's default storage under `exports/` (`file_name`); only the
    person who asked (and the operator) may download it, until `expires_at`."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_label = models.CharField(max_length=254)
    kind = models.CharField(max_length=32)
    format = models.CharField(max_length=8)
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)  # storage name
    download_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["requested_by", "-created_at"], name="export_mine"),
            models.Index(fields=["expires_at"], name="export_expiry"),
        ]

    @property
    def pending(self) -> bool:
        return self.state in (ExportState.QUEUED, ExportState.RUNNING)

    @property
    def ready(self) -> bool:
        return self.state == ExportState.READY
