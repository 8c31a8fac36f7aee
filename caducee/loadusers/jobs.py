"""Import jobs: a file uploaded in the console, checked then imported by background tasks.

The console stores the file in the default storage (`imports/<uuid><ext>`, reachable from
every worker), records an ImportJob and enqueues `run_import` on the `imports` queue after
commit. A worker (`caducee worker`, or a thread of `caducee serve`) claims the job and runs
the same operation as the API and the CLI (`importing.import_loadusers`): first a dry run
(the preview), then, once the administrator confirms, the real import (job_run.py).

The job row is the only shared state: the console polls it, from any process. The acting
person travels with the task as JSON values (user id, channel, IP, label) and is rebuilt by
the task, so the audit names the person who uploaded the file.

A job whose worker died (kill -9, crash, machine lost) is run again from the start by the
recovery sweep (recovery.py), a scheduled job: its transaction never committed, so nothing
was changed.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.reading import FileRefused, check_upload_size
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

log = logging.getLogger("caducee.loadusers")

LIVE: dict[int, tuple[str, int, int]] = {}  # job id -> (phase, done, total), this process
PHASES = {
    "queued": "En attente de traitement",
    "validation": "Vérification des lignes",
    "writing": "Écriture des comptes",
}
_HOST = socket.gethostname()
STORAGE_FOLDER = "imports"


def host() -> str:
    return _HOST


def worker_id() -> str:
    return f"{_HOST}:{os.getpid()}"


def actor_args(ctx: Context) -> dict[str, Any]:
    """The acting person as JSON values, for the task (rebuilt by tasks.rebuild_context)."""
    return {
        "user_id": ctx.user.pk if ctx.user is not None else None,
        "channel": ctx.channel,
        "ip": ctx.ip,
        "label": ctx.label,
    }


def job_actor_args(job: ImportJob) -> dict[str, Any]:
    """The same values, read back from the job (to run it again after a crash)."""
    return {
        "user_id": job.actor_id,
        "channel": job.actor_channel,
        "ip": job.actor_ip or None,
        "label": "" if job.actor_id else job.actor_label,
    }


NO_UPLOAD = "Choisissez le fichier à importer (CSV, XLS ou XLSX)."


def start_import(
    ctx: Context, structure: Structure, upload: File[bytes] | None, *, notify: bool, visible: bool
) -> ImportJob:
    """Structure admins (or the server): store an uploaded file and queue its preview;
    audit `loadusers.upload`.

    Raises NotFound for a structure the actor does not administer, FileRefused (FileTooLarge
    over the size limit) for a missing, empty or too large file: no job then. The preview
    task is enqueued once the job row commits.
    """
    require_admin(ctx, structure)
    if upload is None or not upload.name:
        raise FileRefused(NO_UPLOAD)
    check_upload_size(upload.size)
    data = upload.read()
    check_upload_size(len(data))
    with transaction.atomic():
        job = _create_job(ctx, structure, data, upload.name, notify=notify, visible=visible)
        record_event(
            ctx,
            AuditAction.LOADUSERS_UPLOAD,
            structure=structure,
            detail={"job": job.pk, "file": job.file_name, "notify": notify, "visible": visible},
        )
        enqueue(job.pk, dry_run=True, actor=actor_args(ctx))
    return job


def _create_job(
    ctx: Context, structure: Structure, data: bytes, file_name: str, *, notify: bool, visible: bool
) -> ImportJob:
    """Store the uploaded file in the default storage and record the job."""
    suffix = Path(file_name).suffix.lower()[:6]
    stored = default_storage.save(f"{STORAGE_FOLDER}/{uuid.uuid4().hex}{suffix}", ContentFile(data))
    return ImportJob.objects.create(
        structure=structure,
        actor=ctx.user,
        actor_label=ctx.actor_label,
        actor_channel=ctx.channel,
        actor_ip=ctx.ip or "",
        file_name=Path(file_name).name[:255] or "fichier",
        stored_name=stored,
        notify=notify,
        visible=visible,
        status=JobStatus.VALIDATING,
        phase=PHASES["queued"],
        queued_at=timezone.now(),
    )


def enqueue(job_id: int, *, dry_run: bool, actor: dict[str, Any]) -> None:
    """Hand the job to a worker once the current transaction commits."""
    from caducee.loadusers.tasks import run_import
    from caducee.tasks.dispatch import enqueue_on_commit

    enqueue_on_commit(run_import, job_id=job_id, dry_run=dry_run, **actor)


def confirm(job: ImportJob, ctx: Context) -> None:
    """Structure admins (or the server): start the real import of a previewed job (once);
    the import itself writes `loadusers.import`."""
    require_admin(ctx, job.structure)
    updated = ImportJob.objects.filter(pk=job.pk, status=JobStatus.PREVIEWED).update(
        status=JobStatus.RUNNING,
        phase=PHASES["queued"],
        lines_done=0,
        confirmed_at=timezone.now(),
        queued_at=timezone.now(),
        claim="",
        worker="",
        runs=0,  # runs of the import proper (CADUCEE_IMPORT_MAX_RUNS)
    )
    if not updated:
        raise NotFound("Cet import n'attend pas de confirmation.")
    enqueue(job.pk, dry_run=False, actor=actor_args(ctx))


def live_progress(job: ImportJob) -> tuple[str, int, int]:
    """(phase label, done, total) for the progress bar.

    The row is written by the worker (on PostgreSQL every second, even while the import
    transaction is open); when the worker is a thread of this process (`caducee serve`),
    its in-memory progress is fresher and is used instead.
    """
    phase, done, total = LIVE.get(job.pk, ("", job.lines_done, job.lines_total))
    return PHASES.get(phase, job.phase), done, max(total, done)


def forget_file(job_id: int, name: str) -> None:
    """The uploaded file is kept only until its import is over. Never raises: a file that
    could not be deleted is deleted by the next recovery sweep."""
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:
        log.warning("uploaded file %s of import job %s not deleted", name, job_id, exc_info=True)
        return
    ImportJob.objects.filter(pk=job_id, stored_name=name).update(stored_name="")


def recover_interrupted(structure: Structure | None = None) -> int:
    """Run again the jobs whose worker died; see recovery.sweep. Returns how many jobs were
    enqueued again or abandoned. Called at start-up and by the scheduled job
    `imports_recovery` (recovery.py), never by a page."""
    from caducee.loadusers.recovery import sweep

    return sweep(structure).total
