"""Running due jobs: one failure is recorded and the others still run; nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from caducee.core.errors import OperationError
from caducee.scheduler import registry, runner
from caducee.scheduler.models import JobState

pytestmark = pytest.mark.django_db


def _noting(calls: list[str], answer: str) -> Callable[[], str]:
    """A job that notes each run in `calls` and answers `answer`."""

    def run() -> str:
        calls.append("x")
        return answer

    return run


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.Job]:
    """A registry holding only the jobs a test registers (the real one is restored)."""
    jobs: dict[str, registry.Job] = {}
    monkeypatch.setattr(registry, "_JOBS", jobs)
    return jobs


def _boom() -> str:
    raise OperationError("Relais injoignable : réessayez plus tard.")


def _crash() -> str:
    raise ZeroDivisionError("division by zero")


def test_a_failing_job_records_its_error_and_the_others_run(
    only: dict[str, registry.Job],
) -> None:
    calls: list[str] = []
    hour = lambda: timedelta(hours=1)  # noqa: E731
    registry.register(registry.Job("first", "Premier", hour, _boom))
    registry.register(registry.Job("second", "Second", hour, _crash))
    registry.register(registry.Job("third", "Troisième", hour, _noting(calls, "ok")))
    ran = runner.run_due("host:1:a")
    assert ran == [("first", False), ("second", False), ("third", True)]
    assert calls == ["x"]
    first = JobState.objects.get(name="first")
    assert first.last_error == "Relais injoignable : réessayez plus tard."
    assert first.last_error_at is not None and first.next_run_at is not None
    second = JobState.objects.get(name="second")
    assert second.last_error.startswith("Erreur inattendue (ZeroDivisionError)")
    third = JobState.objects.get(name="third")
    assert third.last_error == "" and third.last_result == "ok" and third.runs == 1
    assert third.last_holder == "host:1:a"


def test_a_job_runs_again_only_once_its_interval_passed(only: dict[str, registry.Job]) -> None:
    registry.register(registry.Job("tick", "Tic", lambda: timedelta(hours=1), lambda: "ok"))
    assert runner.run_due("h") == [("tick", True)]
    assert runner.run_due("h") == []
    JobState.objects.filter(name="tick").update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert runner.run_due("h") == [("tick", True)]
    assert JobState.objects.get(name="tick").runs == 2


def test_success_clears_the_previous_error(only: dict[str, registry.Job]) -> None:
    outcome: list[str] = ["fail"]

    def flaky() -> str:
        if outcome[0] == "fail":
            raise OperationError("Échec.")
        return "ok"

    registry.register(registry.Job("flaky", "Instable", lambda: timedelta(0), flaky))
    runner.run_due("h")
    assert JobState.objects.get(name="flaky").last_error == "Échec."
    outcome[0] = "ok"
    runner.run_due("h")
    state = JobState.objects.get(name="flaky")
    assert state.last_error == "" and state.last_result == "ok"


def test_disabled_job_does_not_run(only: dict[str, registry.Job]) -> None:
    registry.register(
        registry.Job("off", "Éteinte", lambda: timedelta(0), _crash, lambda: "non configurée")
    )
    assert runner.run_due("h") == []


def test_a_scheduler_that_lost_its_lease_stops(only: dict[str, registry.Job]) -> None:
    registry.register(registry.Job("a", "A", lambda: timedelta(0), lambda: "ok"))
    assert runner.run_due("h", still_holder=lambda: False) == []


def test_platform_jobs_are_registered() -> None:
    names = [job.name for job in registry.jobs()]
    for name in ("purge_sessions", "purge_identity", "purge_mail_queue", "whitelist"):
        assert name in names
    assert "directory_push" in names
