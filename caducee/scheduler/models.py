"""The scheduler's lease (who runs the jobs) and each job's last and next run."""

from __future__ import annotations

from django.db import models


class Lease(models.Model):
    """A named lease: `holder` runs the jobs until `expires_at`, unless it renews it."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200)  # "host:pid:random"
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} → {self.holder}"


class JobState(models.Model):
    """What the console shows of one job: last run, its outcome, next run."""

    name = models.CharField(max_length=80, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=500, blank=True)  # French summary
    last_error = models.TextField(blank=True)  # empty when the last run succeeded
    last_error_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    last_holder = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name
