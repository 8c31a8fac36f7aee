"""Imports run in the background: a worker thread inside the web process.

Why a thread: an import is one database transaction of a few seconds to a minute; a
thread in the process that received the upload needs no extra service (the embedded
default runs as one `caducee serve` process) and the job row in the database is the only
shared state, so the console can poll it from any process. The price, documented in
docs/LOADUSERS.md: a job dies with its process. Its transaction is then never committed
(nothing changed), and the next process to look at the job marks it failed (its worker
process no longer exists).

Progress: during validation the job row is updated every chunk of lines. During the
writing pass the transaction is open, so a progress write on another connection would
wait for it (SQLite) and be invisible anyway until commit; the writing progress is kept
in memory (`LIVE`) and the poll of the same process reads it, the row saying "writing".
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from caducee.core.context import Context
from caducee.core.errors import NotFound, OperationError
from caducee.loadusers.models import ACTIVE, ImportJob, JobStatus
from caducee.structures.models import Structure

log = logging.getLogger("caducee.loadusers")

LIVE: dict[int, tuple[str, int, int]] = {}  # job id -> (phase, done, total), this process
PHASES = {"validation": "Vérification des lignes", "writing": "Écriture des comptes"}
_HOST = socket.gethostname()
PREVIEW_DAYS = 7


def worker_id() -> str:
    return f"{_HOST}:{os.getpid()}"


def storage_dir() -> Path:
    path = Path(settings.HOME) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def create_job(
    ctx: Context, structure: Structure, data: bytes, file_name: str, *, notify: bool, visible: bool
) -> ImportJob:
    """Store the uploaded file under CADUCEE_HOME/imports and record the job."""
    stored = storage_dir() / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()[:6]}"
    stored.write_bytes(data)
    stored.chmod(0o600)
    return ImportJob.objects.create(
        structure=structure,
        actor=ctx.user,
        actor_label=ctx.actor_label,
        file_name=Path(file_name).name[:255] or "fichier",
        file_path=str(stored),
        notify=notify,
        visible=visible,
        status=JobStatus.VALIDATING,
        phase=PHASES["validation"],
        worker=worker_id(),
    )


Spawn = Callable[[Callable[[], None]], None]


def _thread(target: Callable[[], None]) -> None:
    def work() -> None:
        try:
            target()
        finally:
            connection.close()  # this thread's own database connection

    threading.Thread(target=work, name="caducee-import", daemon=True).start()


spawn: Spawn = _thread  # tests may run jobs inline


def start_validation(job: ImportJob, ctx: Context) -> None:
    spawn(lambda: _run(job.pk, ctx, dry_run=True))


def confirm(job: ImportJob, ctx: Context) -> None:
    """Start the real import of a previewed job (once)."""
    updated = ImportJob.objects.filter(pk=job.pk, status=JobStatus.PREVIEWED).update(
        status=JobStatus.RUNNING,
        phase=PHASES["writing"],
        lines_done=0,
        confirmed_at=timezone.now(),
        worker=worker_id(),
    )
    if not updated:
        raise NotFound("Cet import n'attend pas de confirmation.")
    spawn(lambda: _run(job.pk, ctx, dry_run=False))


def _run(job_id: int, ctx: Context, *, dry_run: bool) -> None:
    from caducee.loadusers.importing import import_loadusers
    from caducee.loadusers.reading import FileRefused

    try:
        job = ImportJob.objects.select_related("structure").get(pk=job_id)

        def progress(phase: str, done: int, total: int) -> None:
            LIVE[job_id] = (phase, done, total)
            if phase == "validation":
                try:
                    with transaction.atomic():
                        ImportJob.objects.filter(pk=job_id).update(
                            phase=PHASES[phase], lines_done=done, lines_total=max(total, done)
                        )
                except OperationalError:  # e.g. SQLite still locked after its timeout
                    log.warning("progress of import job %s not saved", job_id)  # best effort

        try:
            result = import_loadusers(
                ctx,
                job.structure,
                Path(job.file_path),
                notify=job.notify,
                visible=job.visible,
                dry_run=dry_run,
                file_name=job.file_name,
                import_id=str(job.pk),
                progress=progress,
            )
        except FileRefused as exc:
            _finish(job_id, JobStatus.REFUSED, error=exc.message)
            _forget_file(job.file_path)
            return
        except OperationError as exc:
            _finish(job_id, JobStatus.FAILED, error=exc.message)
            _forget_file(job.file_path)
            return
        payload = {**result.as_json(), "dry_run": dry_run}
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.PREVIEWED if dry_run else JobStatus.DONE,
            phase="",
            result=payload,
            finished_at=None if dry_run else timezone.now(),
            lines_done=sum(result.counts.values()),
            lines_total=sum(result.counts.values()),
            **result.counts,
        )
        if not dry_run:
            _forget_file(job.file_path)
    except Exception as exc:  # the job must end in a state the admin can read
        log.exception("import job %s failed", job_id)
        _finish(
            job_id,
            JobStatus.FAILED,
            error=f"Erreur inattendue ({type(exc).__name__}) : rien n'a été modifié. "
            "Réessayez, puis prévenez l'équipe d'exploitation si elle se répète.",
        )
    finally:
        LIVE.pop(job_id, None)


def _forget_file(path: str) -> None:
    """The uploaded file is kept only until its import is over."""
    if path:
        Path(path).unlink(missing_ok=True)


def _finish(job_id: int, status: str, *, error: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=status, phase="", error=error, finished_at=timezone.now()
    )


def live_progress(job: ImportJob) -> tuple[str, int, int]:
    """(phase label, done, total) for the progress bar."""
    phase, done, total = LIVE.get(job.pk, ("", job.lines_done, job.lines_total))
    return PHASES.get(phase, job.phase), done, max(total, done)


def recover_interrupted(structure: Structure | None = None) -> int:
    """Jobs left running by a process that no longer exists are marked failed.

    Their transaction was never committed, so nothing was changed. Previews left
    unconfirmed for PREVIEW_DAYS are cancelled and their file deleted. Jobs of live processes
    (this one or others on this host) are left alone; jobs of another host are left alone
    unless they have not moved for a day.
    """
    jobs = ImportJob.objects.filter(status__in=ACTIVE)
    if structure is not None:
        jobs = jobs.filter(structure=structure)
    failed = 0
    stale = timezone.now() - timedelta(days=1)
    for job in jobs:
        host = job.worker.rpartition(":")[0]
        if host == _HOST:
            if _alive(job.worker):
                continue
        elif job.created_at > stale:
            continue
        _forget_file(job.file_path)
        failed += ImportJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
            status=JobStatus.FAILED,
            phase="",
            error="L'import a été interrompu (arrêt du serveur) : rien n'a été modifié. "
            "Relancez l'import du fichier.",
            finished_at=timezone.now(),
        )
    old_previews = ImportJob.objects.filter(
        status=JobStatus.PREVIEWED, created_at__lt=timezone.now() - timedelta(days=PREVIEW_DAYS)
    )
    if structure is not None:
        old_previews = old_previews.filter(structure=structure)
    for job in old_previews:
        _forget_file(job.file_path)
        ImportJob.objects.filter(pk=job.pk, status=JobStatus.PREVIEWED).update(
            status=JobStatus.CANCELLED,
            error=f"Aperçu non confirmé pendant {PREVIEW_DAYS} jours : fichier supprimé.",
        )
    return failed


def _alive(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != _HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
