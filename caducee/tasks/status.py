"""The task queues as the operator sees them (console « Tâches planifiées »): per queue,
tasks ready, how long the oldest has waited, tasks running, retries due later; and the
last failed tasks with their error. Database backend: from its table; Redis: from RQ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from caducee.tasks.config import uses_database_backend
from caducee.tasks.queues import ALL

FAILURES_SHOWN = 5


@dataclass(frozen=True)
class QueueState:
    name: str
    ready: int
    oldest_ready_age: timedelta | None  # None when nothing waits
    running: int
    later: int  # retries (or tasks) due later

    @property
    def waited(self) -> str:
        """The oldest ready task's wait, in French: « 12 s », « 3 min », « 2 h 05 »."""
        return age_text(self.oldest_ready_age)


@dataclass(frozen=True)
class FailedTask:
    task: str  # module path of the task function
    queue: str
    finished_at: datetime | None
    error: str  # the exception's last line


def age_text(age: timedelta | None) -> str:
    if age is None:
        return "—"
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} j"


def last_line(traceback: str) -> str:
    lines = [line.strip() for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "erreur sans détail"


def queue_states(now: datetime | None = None) -> list[QueueState]:
    now = now or timezone.now()
    if uses_database_backend():
        return _db_queue_states(now)
    return _rq_queue_states(now)


def recent_failures(limit: int = FAILURES_SHOWN) -> list[FailedTask]:
    if uses_database_backend():
        return _db_failures(limit)
    return _rq_failures(limit)


def _db_queue_states(now: datetime) -> list[QueueState]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()
    ready = Q(status=TaskResultStatus.READY) & (Q(run_after=never) | Q(run_after__lte=now))
    later = Q(status=TaskResultStatus.READY, run_after__gt=now) & ~Q(run_after=never)
    rows = (
        DBTaskResult.objects.filter(backend_name="default")
        .exclude(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED])
        .values("queue_name")
        .annotate(
            ready=Count("id", filter=ready),
            later=Count("id", filter=later),
            running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
            oldest=Min("enqueued_at", filter=ready),
        )
        .order_by()
    )
    found: dict[str, dict[str, Any]] = {row["queue_name"]: dict(row) for row in rows}
    states = []
    for name in ALL:
        row: dict[str, Any] = found.get(name, {})
        oldest = row.get("oldest")
        states.append(
            QueueState(
                name=name,
                ready=int(row.get("ready", 0)),
                oldest_ready_age=(now - oldest) if oldest else None,
                running=int(row.get("running", 0)),
                later=int(row.get("later", 0)),
            )
        )
    return states


def _db_failures(limit: int) -> list[FailedTask]:
    from django_tasks_db.models import DBTaskResult

    failed = (
        DBTaskResult.objects.filter(backend_name="default")
        .failed()
        .order_by("-finished_at")
        .only("task_path", "queue_name", "finished_at", "traceback")[:limit]
    )
    return [
        FailedTask(row.task_path, row.queue_name, row.finished_at, last_line(row.traceback))
        for row in failed
    ]


def _rq_queue_states(now: datetime) -> list[QueueState]:
    import django_rq

    states = []
    for name in ALL:
        queue = django_rq.get_queue(name)
        first = queue.get_job_ids(0, 1)
        job = queue.fetch_job(first[0]) if first else None
        enqueued = job.enqueued_at if job is not None else None
        if enqueued is not None and enqueued.tzinfo is None:
            enqueued = enqueued.replace(tzinfo=UTC)
        states.append(
            QueueState(
                name=name,
                ready=int(queue.count),
                oldest_ready_age=(now - enqueued) if enqueued else None,
                running=int(queue.started_job_registry.count),
                later=int(queue.scheduled_job_registry.count),
            )
        )
    return states


def _rq_failures(limit: int) -> list[FailedTask]:
    import django_rq

    failures: list[FailedTask] = []
    for name in ALL:
        queue = django_rq.get_queue(name)
        registry = queue.failed_job_registry
        for job_id in registry.get_job_ids(-limit, -1):
            job = queue.fetch_job(job_id)
            if job is None:
                continue
            ended = job.ended_at
            if ended is not None and ended.tzinfo is None:
                ended = ended.replace(tzinfo=UTC)
            result = job.latest_result()
            error = (result.exc_string if result is not None else "") or ""
            failures.append(FailedTask(str(job.func_name), name, ended, last_line(error)))
    never = datetime.min.replace(tzinfo=UTC)
    failures.sort(key=lambda failure: failure.finished_at or never, reverse=True)
    return failures[:limit]
