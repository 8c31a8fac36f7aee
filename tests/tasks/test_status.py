"""The task queues' state for the console, on the database backend."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.tasks.status import age_text, queue_states, recent_failures
from caducee.tasks.worker import run_ready
from tests.tasks import probe

pytestmark = pytest.mark.django_db


@override_settings(TASK_RETRY_SECONDS=30, TASK_RETRY_ATTEMPTS=1)
def test_ready_running_later_and_failed(tmp_path: Path) -> None:
    trace = str(tmp_path / "trace")
    probe.flaky.enqueue(trace, 5)
    assert run_ready() == 1  # one attempt allowed: failed for good
    with override_settings(TASK_RETRY_ATTEMPTS=3):
        probe.flaky.enqueue(trace, 5)
        assert run_ready() == 1  # failed, retried in 30 s
    for label in ("a", "b", "c"):
        probe.record.enqueue(trace, label)
    oldest = DBTaskResult.objects.filter(status="READY", task_path__endswith="record")
    oldest.update(enqueued_at=timezone.now() - timedelta(minutes=5))
    probe.record_urgent.enqueue(trace, "u")
    DBTaskResult.objects.filter(queue_name="urgent").update(status="RUNNING")
    states = {state.name: state for state in queue_states()}
    assert list(states) == ["urgent", "default", "imports"]
    default = states["default"]
    assert (default.ready, default.running, default.later) == (3, 0, 1)
    assert default.waited == "5 min"
    assert (states["urgent"].ready, states["urgent"].running) == (0, 1)
    assert states["imports"].waited == "—"
    failures = recent_failures()
    assert [(f.task, f.queue) for f in failures] == [("tests.tasks.probe.flaky", "default")]
    assert failures[0].error == "ConnectionRefusedError: relais injoignable"


def test_age_text() -> None:
    assert age_text(None) == "—"
    assert age_text(timedelta(seconds=12)) == "12 s"
    assert age_text(timedelta(minutes=3, seconds=5)) == "3 min"
    assert age_text(timedelta(hours=2, minutes=5)) == "2 h 05"
    assert age_text(timedelta(days=3, hours=1)) == "3 j"
