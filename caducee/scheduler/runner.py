"""Start the jobs that are due, recording each one's start, end, outcome and next run.

`caducee scheduler` (and `caducee serve`'s scheduler thread) enqueues each due job as a
task, `run_scheduled_job(name)` on the `default` queue (`enqueue_due`): a worker runs it,
and its next run is set when it is enqueued, so it is enqueued once per interval whatever
the number of workers. `caducee scheduler --once` runs the due jobs inline (`run_due`).

A job that raises is recorded (its error, in `JobState.last_error`) and the next jobs still
run. The caller holds the lease; `still_holder` is asked before each job, so a scheduler
that lost its lease stops at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from caducee.core.errors import Invalid, OperationError
from caducee.scheduler.models import JobState
from caducee.scheduler.registry import Job, jobs

log = logging.getLogger("caducee.scheduler")

RUN_STALE = timedelta(hours=1)


def _state(job: Job) -> JobState:
    state, _ = JobState.objects.get_or_create(name=job.name)
    return state


def is_due(job: Job, now: datetime) -> bool:
    state = JobState.objects.filter(name=job.name).first()
    return state is None or state.next_run_at is None or state.next_run_at <= now


def error_text(exc: BaseException) -> str:
    """The error as the operator reads it: our French messages as is, others named."""
    if isinstance(exc, Invalid):
        details = "; ".join(p.message for p in exc.errors()) if exc.errors() else ""
        return f"{exc.message}{' ' + details if details else ''}"
    if isinstance(exc, OperationError):
        return str(exc)
    return f"Erreur inattendue ({type(exc).__name__}) : {exc}"


def run_job(job: Job, holder: str) -> bool:
    """Run one job now, then set its next run; True when it succeeded."""
    state = _state(job)
    started = timezone.now()
    JobState.objects.filter(pk=state.pk).update(last_started_at=started, last_holder=holder)
    return execute(job, set_next_run=True)


def claim_run(job: Job, due_at: datetime | None, holder: str) -> bool:
    """Mark the job started by `holder`, unless a run of it started after `due_at` (a
    copy enqueued while no worker ran: one run is enough) or a run is still going on (a
    job longer than its interval: runs never overlap; a run started more than
    RUN_STALE ago is taken for dead, its worker killed). Atomic: one UPDATE, so of two
    workers holding copies of the same run, one gets True."""
    _state(job)
    now = timezone.now()
    idle = (
        Q(last_started_at__isnull=True)
        | Q(last_finished_at__gte=F("last_started_at"))
        | Q(last_started_at__lt=now - RUN_STALE)
    )
    pending = JobState.objects.filter(name=job.name).filter(idle)
    if due_at is not None:
        pending = pending.filter(Q(last_started_at__isnull=True) | Q(last_started_at__lt=due_at))
    return bool(pending.update(last_started_at=now, last_holder=holder))


def execute(job: Job, *, set_next_run: bool) -> bool:
    """Run a job already marked started; record its outcome. True when it succeeded."""
    ok = True
    result = ""
    error = ""
    try:
        result = job.run()
    except Exception as exc:  # one job's failure never stops the others
        log.warning("scheduled job %s failed", job.name, exc_info=True)
        ok = False
        error = error_text(exc)[:4000]
    finished = timezone.now()
    fields: dict[str, object] = {"last_finished_at": finished, "runs": F("runs") + 1}
    if set_next_run:
        fields["next_run_at"] = finished + job.interval()
    if ok:
        fields.update(last_result=(result or "Terminé.")[:500], last_error="")
    else:
        fields.update(last_error=error, last_error_at=finished)
    JobState.objects.filter(name=job.name).update(**fields)
    return ok


def run_due(holder: str, still_holder: Callable[[], bool] = lambda: True) -> list[tuple[str, bool]]:
    """Run every enabled job that is due; return (name, succeeded) for those that ran."""
    ran: list[tuple[str, bool]] = []
    for job in jobs():
        if not still_holder():
            break
        now = timezone.now()
        if job.disabled() or not is_due(job, now):
            continue
        ran.append((job.name, run_job(job, holder)))
    return ran


def enqueue_due(holder: str, still_holder: Callable[[], bool] = lambda: True) -> list[str]:
    """Enqueue a `run_scheduled_job` task for every enabled job that is due, setting its
    next run first (so it is enqueued once); return the names enqueued. A job whose task
    cannot be enqueued (queue unreachable) keeps its next run, so it is tried again."""
    from caducee.scheduler.tasks import run_scheduled_job
    from caducee.tasks.dispatch import enqueue_now

    enqueued: list[str] = []
    for job in jobs():
        if not still_holder():
            break
        now = timezone.now()
        if job.disabled() or not is_due(job, now):
            continue
        state = _state(job)
        JobState.objects.filter(name=job.name).update(
            next_run_at=now + job.interval(), last_holder=holder
        )
        if enqueue_now(run_scheduled_job, job.name, due_at=now.isoformat()):
            enqueued.append(job.name)
        else:
            JobState.objects.filter(name=job.name).update(next_run_at=state.next_run_at)
    return enqueued


def seconds_until_next(now: datetime | None = None) -> float | None:
    """Seconds before the next enabled job is due (0 if one is due now)."""
    now = now or timezone.now()
    best: float | None = None
    for job in jobs():
        if job.disabled():
            continue
        state = JobState.objects.filter(name=job.name).first()
        if state is None or state.next_run_at is None:
            return 0.0
        wait = max(0.0, (state.next_run_at - now).total_seconds())
        best = wait if best is None else min(best, wait)
    return best
