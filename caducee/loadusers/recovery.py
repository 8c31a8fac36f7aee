"""Recovery of import jobs whose worker died, run by the scheduler every minute.

A worker killed in the middle of an import (kill -9, out of memory, machine lost) never
committed its transaction: nothing changed. The job is then run again from the start by
another worker (resume = run again). A run is judged dead when:

- its worker (host:pid) is on this machine and that process no longer exists (for this
  very process: the run is not among those it is running), at once;
- or its heartbeat is older than CADUCEE_IMPORT_STALE_SECONDS (PostgreSQL, where a
  thread of the worker writes it every few seconds even during the writing pass; on
  SQLite, single-machine by nature, the process check above is the rule and the heartbeat
  only counts after a day).

A job run CADUCEE_IMPORT_MAX_RUNS times without finishing is abandoned (failed, with a
French message). A job waiting for a worker for longer than the stale delay is enqueued
again (its enqueue may have been lost: Redis restarting); a duplicate task is harmless,
since only one run can claim the job. Previews left unconfirmed for PREVIEW_DAYS are
cancelled, and files of finished jobs that could not be deleted are deleted.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from caducee.loadusers.jobs import PHASES, enqueue, forget_file, host, job_actor_args
from caducee.loadusers.models import ACTIVE, ImportJob, JobStatus
from caducee.structures.models import Structure

log = logging.getLogger("caducee.loadusers")

PREVIEW_DAYS = 7
SQLITE_STALE = timedelta(days=1)
INTERVAL = timedelta(minutes=1)


@dataclass
class Sweep:
    resumed: int = 0  # run again after their worker died
    abandoned: int = 0  # failed after too many runs
    requeued: int = 0  # waiting for a worker for too long: enqueued again
    cancelled: int = 0  # previews never confirmed

    @property
    def total(self) -> int:
        return self.resumed + self.abandoned + self.requeued

    def summary(self) -> str:
        if not (self.total or self.cancelled):
            return "Aucun import interrompu."
        return (
            f"{self.resumed} import(s) relancé(s) après l'arrêt de leur worker, "
            f"{self.abandoned} abandonné(s), {self.requeued} remis en file, "
            f"{self.cancelled} aperçu(s) expiré(s)."
        )


def abandoned_message(runs: int) -> str:
    return (
        f"Le traitement de ce fichier a été interrompu {runs} fois (arrêt du processus qui "
        "l'exécutait) : il est abandonné et rien n'a été modifié. Prévenez l'équipe "
        "d'exploitation (mémoire et redémarrages des workers), puis déposez de nouveau le "
        "fichier."
    )


def stale_delay() -> timedelta:
    if connection.vendor == "postgresql":
        return timedelta(seconds=max(1, int(settings.IMPORT_STALE_SECONDS)))
    return SQLITE_STALE


def worker_alive(job: ImportJob, now: datetime) -> bool:
    from caducee.loadusers.job_run import RUNNING_CLAIMS

    worker_host, _, pid = job.worker.rpartition(":")
    if worker_host == host() and pid.isdigit():
        if int(pid) == os.getpid():
            return job.claim in RUNNING_CLAIMS
        if not _pid_alive(int(pid)):
            return False
    beat = job.heartbeat_at or job.created_at
    return beat >= now - stale_delay()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(structure: Structure | None = None) -> Sweep:
    now = timezone.now()
    done = Sweep()
    active = ImportJob.objects.filter(status__in=ACTIVE)
    if structure is not None:
        active = active.filter(structure=structure)
    for job in active:
        if job.claim:
            if not worker_alive(job, now):
                _dead_run(job, now, done)
        elif job.queued_at is None or job.queued_at < now - timedelta(
            seconds=max(1, int(settings.IMPORT_STALE_SECONDS))
        ):
            requeued = ImportJob.objects.filter(
                pk=job.pk, status=job.status, claim="", queued_at=job.queued_at
            ).update(queued_at=now)
            if requeued:
                enqueue(
                    job.pk, dry_run=job.status == JobStatus.VALIDATING, actor=job_actor_args(job)
                )
                done.requeued += 1
    _expire_previews(structure, now, done)
    _delete_leftover_files(structure)
    return done


def _dead_run(job: ImportJob, now: datetime, done: Sweep) -> None:
    held = ImportJob.objects.filter(pk=job.pk, status=job.status, claim=job.claim)
    if job.runs >= int(settings.IMPORT_MAX_RUNS):
        if held.update(
            status=JobStatus.FAILED,
            phase="",
            claim="",
            error=abandoned_message(job.runs),
            finished_at=now,
        ):
            log.warning("import job %s abandoned after %s runs", job.pk, job.runs)
            forget_file(job.pk, job.stored_name)
            done.abandoned += 1
        return
    if held.update(claim="", worker="", phase=PHASES["queued"], lines_done=0, queued_at=now):
        log.warning("import job %s: worker %s gone, run again", job.pk, job.worker)
        enqueue(job.pk, dry_run=job.status == JobStatus.VALIDATING, actor=job_actor_args(job))
        done.resumed += 1


def _expire_previews(structure: Structure | None, now: datetime, done: Sweep) -> None:
    old = ImportJob.objects.filter(
        status=JobStatus.PREVIEWED, created_at__lt=now - timedelta(days=PREVIEW_DAYS)
    )
    if structure is not None:
        old = old.filter(structure=structure)
    for job in old:
        if ImportJob.objects.filter(pk=job.pk, status=JobStatus.PREVIEWED).update(
            status=JobStatus.CANCELLED,
            error=f"Aperçu non confirmé pendant {PREVIEW_DAYS} jours : fichier supprimé.",
        ):
            forget_file(job.pk, job.stored_name)
            done.cancelled += 1


def _delete_leftover_files(structure: Structure | None) -> None:
    over = ImportJob.objects.exclude(status__in=[*ACTIVE, JobStatus.PREVIEWED]).exclude(
        stored_name=""
    )
    if structure is not None:
        over = over.filter(structure=structure)
    for job_id, name in over.values_list("pk", "stored_name")[:100]:
        forget_file(job_id, name)


def scheduled() -> str:
    """The scheduler's job: one sweep over every structure."""
    return sweep().summary()


def register_job() -> None:
    from caducee.scheduler.registry import Job, register

    register(
        Job("imports_recovery", "Reprise des imports interrompus", lambda: INTERVAL, scheduled)
    )
