"""The operator's « Tâches planifiées » in the REST API, read only: each scheduled job's last
and next run and last error, the scheduler's lease, the task queues and the outgoing mail.

The same rule as the console page: the operator of the platform; 404 for anyone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.emails.report import summary
from caducee.scheduler.lease import current
from caducee.scheduler.models import JobState
from caducee.scheduler.registry import jobs
from caducee.tasks.status import queue_states, recent_failures

router = Router(tags=["exploitation"])


class ScheduledJobOut(Schema):
    name: str
    label: str
    disabled: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_result: str
    last_error: str
    last_error_at: datetime | None
    next_run_at: datetime | None
    runs: int


class LeaseOut(Schema):
    holder: str
    expires_at: datetime


class QueueOut(Schema):
    name: str
    ready: int
    oldest_ready_seconds: int | None
    running: int
    later: int


class FailedTaskOut(Schema):
    task: str
    queue: str
    finished_at: datetime | None
    error: str


class SchedulerOut(Schema):
    jobs: list[ScheduledJobOut]
    lease: LeaseOut | None
    queues: list[QueueOut]
    failed_tasks: list[FailedTaskOut]
    emails_pending: int
    emails_failed: int


@router.get(
    "/scheduler",
    response=responses({200: SchedulerOut}, 404),
    summary="Tâches planifiées, files de tâches et mails sortants (opérateur, lecture seule)",
)
def scheduler_status(request: HttpRequest) -> Any:
    user = api_user(request)
    if not (user.is_active and user.is_operator):
        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    states = {s.name: s for s in JobState.objects.all()}
    rows = []
    for job in jobs():
        state = states.get(job.name)
        rows.append(
            {
                "name": job.name,
                "label": job.label,
                "disabled": job.disabled(),
                "last_started_at": state.last_started_at if state else None,
                "last_finished_at": state.last_finished_at if state else None,
                "last_result": state.last_result if state else "",
                "last_error": state.last_error if state else "",
                "last_error_at": state.last_error_at if state else None,
                "next_run_at": state.next_run_at if state else None,
                "runs": state.runs if state else 0,
            }
        )
    lease = current()
    live = lease is not None and lease.expires_at > timezone.now()
    queues = [
        {
            "name": q.name,
            "ready": q.ready,
            "oldest_ready_seconds": (
                None if q.oldest_ready_age is None else int(q.oldest_ready_age.total_seconds())
            ),
            "running": q.running,
            "later": q.later,
        }
        for q in queue_states()
    ]
    failures = [
        {"task": f.task, "queue": f.queue, "finished_at": f.finished_at, "error": f.error}
        for f in recent_failures()
    ]
    emails = summary()
    return {
        "jobs": rows,
        "lease": {"holder": lease.holder, "expires_at": lease.expires_at}
        if lease is not None and live
        else None,
        "queues": queues,
        "failed_tasks": failures,
        "emails_pending": emails.pending,
        "emails_failed": emails.failed,
    }
