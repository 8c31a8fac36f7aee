"""The task machinery: enqueue on commit, run by the worker, retries with backoff."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from caducee.tasks.dispatch import backoff, enqueue_on_commit
from caducee.tasks.worker import WorkerThread, run_ready
from tests.tasks import probe, processes

pytestmark = pytest.mark.django_db


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_enqueued_on_commit_only(
    tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    trace = tmp_path / "trace"
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(probe.record, str(trace), "kept")
    try:
        with transaction.atomic():
            enqueue_on_commit(probe.record, str(trace), "rolled back")
            raise RuntimeError
    except RuntimeError:
        pass
    assert run_ready() == 1
    assert [line.split()[0] for line in lines(trace)] == ["kept"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_queues_are_separate(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    probe.record.enqueue(str(trace), "default")
    probe.record_urgent.enqueue(str(trace), "urgent")
    assert run_ready(["urgent"]) == 1
    assert lines(trace) == ["urgent"]
    assert run_ready() == 1


@override_settings(TASK_RETRY_SECONDS=0, TASK_RETRY_ATTEMPTS=4)
def test_transient_failure_is_retried_then_succeeds(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    probe.flaky.enqueue(str(trace), 2)
    assert run_ready() == 3
    assert lines(trace) == ["attempt 1", "attempt 2", "attempt 3"]


@override_settings(TASK_RETRY_SECONDS=0, TASK_RETRY_ATTEMPTS=3)
def test_retries_stop_after_the_last_attempt(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    probe.flaky.enqueue(str(trace), 10)
    assert run_ready() == 3
    failed = DBTaskResult.objects.filter(status="FAILED").get()
    assert "ConnectionRefusedError" in failed.exception_class_path
    assert len(lines(trace)) == 3


@override_settings(TASK_RETRY_SECONDS=30)
def test_retry_waits_with_exponential_backoff(tmp_path: Path) -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(20) == 3600
    probe.flaky.enqueue(str(tmp_path / "trace"), 1)
    assert run_ready() == 1  # the retry is not due yet
    waiting = DBTaskResult.objects.filter(status="READY").get()
    delay = (waiting.run_after - waiting.enqueued_at).total_seconds()
    assert 29 <= delay <= 31


@pytest.mark.django_db(transaction=True)
def test_worker_thread_runs_tasks_and_stops(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    probe.record.enqueue(str(trace), "threaded")
    worker = WorkerThread(["default"], interval=0.1)
    worker.start()
    try:
        for _ in range(100):
            if lines(trace):
                break
            worker.join(0.1)
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert [line.split()[0] for line in lines(trace)] == ["threaded"]


def test_worker_command_batch(tmp_path: Path) -> None:
    home = processes.migrated_home(tmp_path, "caducee_tasks_batch")
    trace = tmp_path / "trace"
    processes.django_code(
        home,
        "from tests.tasks import probe\n"
        + "".join(f"probe.record.enqueue({str(trace)!r}, 't{n}')\n" for n in range(3)),
    )
    done = processes.caducee(home, "worker", "--batch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 tâche(s) exécutée(s)." in done.stdout
    assert sorted(line.split()[0] for line in lines(trace)) == ["t0", "t1", "t2"]


def test_worker_refuses_an_unknown_queue() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "worker", "--queues", "lente"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "file inconnue lente" in done.stderr
