"""The task queue's state, for readiness and metrics, whichever backend runs it.

- database backend (django-tasks-db): its table, `DBTaskResult`;
- Redis backend (django-tasks-rq): the rq queues, through django-rq's connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from redis import Redis

from caducee.tasks.config import uses_database_backend
from caducee.tasks.queues import ALL

REDIS_TIMEOUT = 3  # seconds


@dataclass(frozen=True)
class QueueState:
    name: str
    ready: int  # tasks waiting to run now
    oldest_age: float  # seconds since the oldest of them became ready; 0 if none


def check() -> None:
    """Raise if the task queue cannot be reached."""
    if uses_database_backend():
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(pk__isnull=True).exists()  # one cheap query on its table
        return
    for url in {settings.RQ_QUEUES[name]["URL"] for name in ALL}:
        _redis(url).ping()


def states(now: datetime | None = None) -> list[QueueState]:
    """Ready tasks per queue, and the age of the oldest."""
    now = now or timezone.now()
    if uses_database_backend():
        return _database_states(now)
    return _redis_states(now)


def _redis(url: str) -> Redis:
    """A connection to the task queue's Redis, with short timeouts (a probe must not hang)."""
    return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)


def _database_states(now: datetime) -> list[QueueState]:
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()  # run_after of a task with no delay
    rows = (
        DBTaskResult.objects.ready()
        .values("queue_name")
        .annotate(
            ready=Count("pk"),
            oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
            oldest_delayed=Min("run_after", filter=~Q(run_after=never)),
        )
    )
    found = {row["queue_name"]: row for row in rows}
    result = []
    for name in ALL:
        row = found.get(name)
        if row is None:
            result.append(QueueState(name, 0, 0.0))
            continue
        since = [t for t in (row["oldest_enqueued"], row["oldest_delayed"]) if t is not None]
        age = max((now - min(since)).total_seconds(), 0.0) if since else 0.0
        result.append(QueueState(name, int(row["ready"]), age))
    return result


def _redis_states(now: datetime) -> list[QueueState]:
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    result = []
    for name in ALL:
        queue = Queue(name, connection=_redis(settings.RQ_QUEUES[name]["URL"]))
        ready = int(queue.count)
        age = 0.0
        ids = queue.get_job_ids(0, 1)
        job = None
        if ids:
            try:
                job = Job.fetch(ids[0], connection=queue.connection)
            except NoSuchJobError:  # taken by a worker meanwhile
                job = None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at
            if enqueued.tzinfo is None:  # rq stores UTC without a zone
                enqueued = enqueued.replace(tzinfo=UTC)
            age = max((now - enqueued).total_seconds(), 0.0)
        result.append(QueueState(name, ready, age))
    return result
