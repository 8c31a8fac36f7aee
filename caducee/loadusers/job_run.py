"""One run of an import job inside a worker: claim, import, record the outcome.

1. Claim: a conditional UPDATE moves the job from "waiting for a worker" (its status,
   `claim` empty) to "held by this run" (a fresh claim token, this worker's host:pid, one
   more run). Two tasks for one job (a duplicate enqueue, a recovery) never both run it:
   the second UPDATE matches no row.
2. Import: the file is read through the default storage, then `import_loadusers` runs
   with the acting person rebuilt from the task's arguments.
3. Outcome: for the real import, the job is marked done INSIDE the import's transaction
   (`before_commit`), conditioned on the claim: either the accounts and « done » commit
   together, or neither does. A run that lost its claim meanwhile (the recovery judged its
   worker dead and handed the job to another) rolls its import back. Every later write is
   conditioned on the claim and on the job still being active, so nothing that happens
   after the commit (an email failing, a file that cannot be deleted) can turn a committed
   import into « échec, rien n'a été modifié ».
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db import Error as DatabaseFailure
from django.db import connection
from django.db.models import F
from django.utils import timezone

from caducee.core.context import Context
from caducee.core.errors import OperationError
from caducee.loadusers.heartbeat import Heartbeat
from caducee.loadusers.jobs import LIVE, PHASES, forget_file, worker_id
from caducee.loadusers.models import ImportJob, JobStatus

log = logging.getLogger("caducee.loadusers")

# Claim tokens of the runs in progress in this process (recovery.worker_alive reads it).
RUNNING_CLAIMS: set[str] = set()

UNEXPECTED = (
    "Erreur inattendue ({name}) : rien n'a été modifié. "
    "Réessayez, puis prévenez l'équipe d'exploitation si elle se répète."
)
NO_PERSON = (
    "Le compte de la personne qui a déposé ce fichier n'existe plus : l'import est "
    "abandonné, rien n'a été modifié."
)
NO_FILE = (
    "Le fichier déposé est introuvable dans le stockage des fichiers : rien n'a été "
    "modifié. Déposez-le de nouveau."
)


class ClaimLost(Exception):
    """The job was handed to another run while this one worked: roll back, write nothing."""


def run(job_id: int, *, dry_run: bool, ctx: Context | None) -> str:
    """Claim and run the job; its outcome ("previewed", "done", "skipped"…)."""
    status = JobStatus.VALIDATING if dry_run else JobStatus.RUNNING
    claim = uuid.uuid4().hex
    RUNNING_CLAIMS.add(claim)  # before the claim: this process's recovery must see it alive
    try:
        claimed = ImportJob.objects.filter(pk=job_id, status=status, claim="").update(
            claim=claim,
            worker=worker_id(),
            runs=F("runs") + 1,
            heartbeat_at=timezone.now(),
            phase=PHASES["validation"],
            lines_done=0,
        )
        if not claimed:
            log.info("import job %s not waiting for a worker: nothing to do", job_id)
            return "skipped"
        beat = Heartbeat(job_id, claim, status)
        beat.start()
        try:
            return _run_claimed(job_id, claim, status, dry_run, ctx, beat)
        finally:
            beat.stop()
    finally:
        RUNNING_CLAIMS.discard(claim)
        LIVE.pop(job_id, None)


def _run_claimed(
    job_id: int, claim: str, status: str, dry_run: bool, ctx: Context | None, beat: Heartbeat
) -> str:
    from caducee.loadusers.importing import ImportResult, import_loadusers
    from caducee.loadusers.reading import FileRefused

    job = ImportJob.objects.select_related("structure").get(pk=job_id)
    if ctx is None:
        return _end(job, claim, status, JobStatus.FAILED, NO_PERSON)

    def mark_done(result: ImportResult) -> None:  # inside the import's transaction
        beat.stop()  # the thread never waits for the row this UPDATE locks
        total = sum(result.counts.values())
        marked = ImportJob.objects.filter(pk=job_id, claim=claim, status=status).update(
            status=JobStatus.DONE,
            phase="",
            result={**result.as_json(), "dry_run": False},
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            lines_done=total,
            lines_total=total,
            **result.counts,
        )
        if marked != 1:
            raise ClaimLost

    try:
        try:
            with default_storage.open(job.stored_name, "rb") as stored:
                data = stored.read()
        except FileNotFoundError:
            return _end(job, claim, status, JobStatus.FAILED, NO_FILE)
        result = import_loadusers(
            ctx,
            job.structure,
            data,
            notify=job.notify,
            visible=job.visible,
            dry_run=dry_run,
            file_name=job.file_name,
            import_id=str(job.pk),
            progress=beat.progress,
            before_commit=None if dry_run else mark_done,
        )
    except ClaimLost:
        log.warning("import job %s was handed to another run: this one rolled back", job_id)
        return "lost"
    except FileRefused as exc:
        return _end(job, claim, status, JobStatus.REFUSED, exc.message)
    except OperationError as exc:
        return _end(job, claim, status, JobStatus.FAILED, exc.message)
    except Exception as exc:  # the job must end in a state the admin can read
        # Conditioned on the job still running: an import that committed stays done.
        ended = _end(
            job, claim, status, JobStatus.FAILED, UNEXPECTED.format(name=type(exc).__name__)
        )
        if ended == "lost" and _committed(job_id, claim):
            log.exception("import job %s committed, then a step after its commit failed", job_id)
            forget_file(job.pk, job.stored_name)
            return "done"
        log.exception("import job %s failed", job_id)
        return ended
    if not dry_run:
        forget_file(job.pk, job.stored_name)
        return "done"
    total = sum(result.counts.values())
    _update(
        job.pk,
        claim,
        status,
        {
            "status": JobStatus.PREVIEWED,
            "phase": "",
            "claim": "",
            "result": {**result.as_json(), "dry_run": True},
            "lines_done": total,
            "lines_total": total,
            **result.counts,
        },
    )
    return "previewed"


def _committed(job_id: int, claim: str) -> bool:
    """This run's import committed (the job was marked done inside its transaction)."""
    return ImportJob.objects.filter(pk=job_id, claim=claim, status=JobStatus.DONE).exists()


def _end(job: ImportJob, claim: str, status: str, final: str, error: str) -> str:
    """The job is over without changes (refused, failed): say why, forget the file."""
    ended = _update(
        job.pk,
        claim,
        status,
        {"status": final, "phase": "", "error": error, "finished_at": timezone.now()},
    )
    if not ended:
        return "lost"  # another run holds the job, or it is over (committed)
    forget_file(job.pk, job.stored_name)
    return str(final)


def _update(job_id: int, claim: str, status: str, fields: dict[str, Any]) -> int:
    """A conditional write of this run's outcome; retried once on a fresh connection (the
    import's error may have broken this one), so the job rarely stays held by a run that
    ended."""
    rows = ImportJob.objects.filter(pk=job_id, claim=claim, status=status)
    try:
        return rows.update(**fields)
    except DatabaseFailure:  # InterfaceError included (connection closed)
        log.warning("import job %s: outcome not saved, retrying", job_id, exc_info=True)
        connection.close()
        return rows.update(**fields)
