"""Scheduled jobs as tasks: enqueued once when due, run by a worker, recorded as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.core.errors import OperationError
from caducee.scheduler import registry, runner
from caducee.scheduler.models import JobState
from caducee.scheduler.tasks import run_scheduled_job
from caducee.tasks.worker import run_ready
from tests.scheduler.test_runner import only  # noqa: F401

pytestmark = pytest.mark.django_db


def _noting(calls: list[str], answer: str) -> Callable[[], str]:
    """A job that notes each run in `calls` and answers `answer`."""

    def run() -> str:
        calls.append("x")
        return answer

    return run


def _boom() -> str:
    raise OperationError("Annuaire injoignable.")


def test_due_jobs_are_enqueued_once_and_run_by_a_worker(
    only: dict[str, registry.Job],  # noqa: F811
) -> None:
    calls: list[str] = []
    hour = lambda: timedelta(hours=1)  # noqa: E731
    registry.register(registry.Job("tick", "Tic", hour, _noting(calls, "fait")))
    registry.register(registry.Job("boom", "Boum", hour, _boom))
    before = timezone.now()
    assert runner.enqueue_due("sched:1:a") == ["tick", "boom"]
    assert runner.enqueue_due("sched:1:a") == []  # next run already set: not twice
    tasks = DBTaskResult.objects.all()
    assert {(t.queue_name, t.task_path) for t in tasks} == {
        ("default", "caducee.scheduler.tasks.run_scheduled_job")
    }
    assert tasks.count() == 2
    state = JobState.objects.get(name="tick")
    assert state.next_run_at is not None and state.next_run_at >= before + timedelta(hours=1)
    assert state.runs == 0 and state.last_started_at is None
    assert run_ready() == 2
    assert calls == ["x"]
    tick = JobState.objects.get(name="tick")
    assert tick.runs == 1 and tick.last_result == "fait" and tick.last_error == ""
    assert tick.last_started_at is not None and tick.last_finished_at is not None
    assert tick.next_run_at == state.next_run_at  # set at enqueue time, kept
    boom = JobState.objects.get(name="boom")
    assert boom.last_error == "Annuaire injoignable." and boom.last_error_at is not None
    # A failed job is recorded, not retried at once: its task ends successful.
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_copies_of_one_due_run_run_it_once(only: dict[str, registry.Job]) -> None:  # noqa: F811
    calls: list[str] = []
    registry.register(registry.Job("tick", "Tic", lambda: timedelta(hours=1), _noting(calls, "ok")))
    due = timezone.now().isoformat()
    for _ in range(3):  # e.g. enqueued again while no worker ran
        run_scheduled_job.enqueue("tick", due_at=due)
    assert run_ready() == 3
    assert calls == ["x"]
    assert JobState.objects.get(name="tick").runs == 1
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    run_scheduled_job.enqueue("tick", due_at=later)
    assert run_ready() == 1
    assert calls == ["x", "x"]


def test_a_job_unknown_to_this_version_is_skipped(only: dict[str, registry.Job]) -> None:  # noqa: F811
    run_scheduled_job.enqueue("retired")
    assert run_ready() == 1
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL"
    assert not JobState.objects.exists()


def test_runs_of_a_job_never_overlap(only: dict[str, registry.Job]) -> None:  # noqa: F811
    calls: list[str] = []
    registry.register(
        registry.Job("slow", "Lente", lambda: timedelta(minutes=1), _noting(calls, "ok"))
    )
    now = timezone.now()
    # A run started a minute ago, still going on (longer than its interval).
    JobState.objects.create(name="slow", last_started_at=now - timedelta(minutes=1))
    run_scheduled_job.enqueue("slow", due_at=now.isoformat())
    assert run_ready() == 1
    assert calls == []
    # A run started two hours ago and never ended: its worker died; the job runs again.
    JobState.objects.filter(name="slow").update(last_started_at=now - timedelta(hours=2))
    run_scheduled_job.enqueue("slow", due_at=now.isoformat())
    assert run_ready() == 1
    assert calls == ["x"]
    state = JobState.objects.get(name="slow")
    assert state.last_finished_at is not None and state.last_started_at is not None
    assert state.last_finished_at >= state.last_started_at
