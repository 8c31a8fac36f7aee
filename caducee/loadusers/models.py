"""An import of a loaduser file: its file, options, status, progress and report."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    VALIDATING = "validating", "Vérification du fichier"
    PREVIEWED = "previewed", "Aperçu prêt, en attente de confirmation"
    RUNNING = "running", "Import en cours"
    DONE = "done", "Import terminé"
    REFUSED = "refused", "Fichier refusé"
    FAILED = "failed", "Échec, rien n'a été modifié"
    CANCELLED = "cancelled", "Annulé"


ACTIVE = (JobStatus.VALIDATING, JobStatus.RUNNING)


class ImportJob(models.Model):
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="import_jobs"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("auteur", max_length=254)
    # The rest of the acting person's context, to rebuild it in the task (core.context).
    actor_channel = models.CharField("canal", max_length=10, default="web")
    actor_ip = models.CharField("adresse IP", max_length=45, blank=True)
    file_name = models.CharField("nom du fichier", max_length=255)
    # Name of the uploaded file in the default storage ("" once deleted).
    stored_name = models.CharField("fichier stocké", max_length=500, blank=True)
    notify = models.BooleanField("envoyer une notification", default=False)
    visible = models.BooleanField("visibles dans l'annuaire", default=False)
    status = models.CharField(max_length=12, choices=JobStatus.choices)
    phase = models.CharField("étape", max_length=100, blank=True)
    worker = models.CharField("processus", max_length=100, blank=True)  # host:pid
    # The run that holds the job: set by the conditional UPDATE that claims it, "" while
    # the job waits for a worker. Every later write of that run is conditioned on it.
    claim = models.CharField("exécution", max_length=32, blank=True)
    runs = models.PositiveSmallIntegerField("exécutions commencées", default=0)
    queued_at = models.DateTimeField("mis en file", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    lines_total = models.PositiveIntegerField(default=0)
    lines_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    result = models.JSONField("compte-rendu", default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["structure", "-created_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.file_name})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        return self.percent_of(self.lines_done, self.lines_total)

    @staticmethod
    def percent_of(done: int, total: int) -> int:
        """The progress bar's rule, also for the fresher in-memory progress (jobs.LIVE)."""
        if not total:
            return 0
        return min(100, int(100 * done / total))

    @property
    def problems(self) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = self.result.get("problems", [])
        return problems
