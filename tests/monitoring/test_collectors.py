"""The gauges read from the database at scrape time: task queue, delivery queue, imports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.loadusers.models import ImportJob, JobStatus
from caducee.mail.models import Outbound, QueueState
from caducee.structures.models import Structure
from tests.monitoring.scraping import scrape, value
from tests.task_queue import run_ready_tasks
from tests.tasks import probe


def test_task_queue_depth_and_oldest_age_per_queue(
    client: Client, db: None, metrics_token: str, tmp_path: Path
) -> None:
    trace = str(tmp_path / "trace")
    probe.record.enqueue(trace, "a")
    probe.record.enqueue(trace, "b")
    probe.record_urgent.enqueue(trace, "c")
    DBTaskResult.objects.filter(queue_name="default").update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    text = scrape(client)
    assert value(text, "caducee_task_queue_ready", queue="default") == 2
    assert value(text, "caducee_task_queue_ready", queue="urgent") == 1
    assert value(text, "caducee_task_queue_ready", queue="imports") == 0
    assert 600 <= value(text, "caducee_task_queue_oldest_ready_seconds", queue="default") < 700
    assert value(text, "caducee_task_queue_oldest_ready_seconds", queue="urgent") < 60
    assert value(text, "caducee_task_queue_oldest_ready_seconds", queue="imports") == 0

    run_ready_tasks()
    text = scrape(client)
    assert value(text, "caducee_task_queue_ready", queue="default") == 0
    assert value(text, "caducee_task_queue_oldest_ready_seconds", queue="default") == 0


def test_a_task_delayed_for_a_retry_is_not_ready_before_its_time(
    client: Client, db: None, metrics_token: str, tmp_path: Path
) -> None:
    probe.record.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(
        str(tmp_path / "t"), "later"
    )
    text = scrape(client)
    assert value(text, "caducee_task_queue_ready", queue="default") == 0
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=90))
    text = scrape(client)
    assert value(text, "caducee_task_queue_ready", queue="default") == 1
    assert 90 <= value(text, "caducee_task_queue_oldest_ready_seconds", queue="default") < 150


def _outbound(state: str, attempts: int = 0, age: timedelta = timedelta(0)) -> None:
    now = timezone.now()
    Outbound.objects.create(
        sender="a@ch-a.mssante.fr",
        recipient="b@ailleurs.mssante.fr",
        domain="ailleurs.mssante.fr",
        state=state,
        attempts=attempts,
        next_attempt_at=now,
        created_at=now - age,
    )


def test_deliveries_sent_deferred_and_bounced(client: Client, db: None, metrics_token: str) -> None:
    _outbound(QueueState.SENT, attempts=1)
    _outbound(QueueState.SENT, attempts=2)
    _outbound(QueueState.BOUNCED, attempts=3)
    _outbound(QueueState.PENDING, attempts=2, age=timedelta(hours=2))  # deferred
    _outbound(QueueState.PENDING)
    text = scrape(client)
    assert value(text, "caducee_mail_outbound", state="sent") == 2
    assert value(text, "caducee_mail_outbound", state="bounced") == 1
    assert value(text, "caducee_mail_outbound", state="pending") == 2
    assert value(text, "caducee_mail_outbound", state="sending") == 0
    assert value(text, "caducee_mail_outbound_deferred") == 1
    assert 7200 <= value(text, "caducee_mail_outbound_oldest_waiting_seconds") < 7300


def test_imports_by_state(client: Client, metrics_token: str, structure_a: Structure) -> None:
    for status in (JobStatus.RUNNING, JobStatus.DONE, JobStatus.DONE, JobStatus.FAILED):
        ImportJob.objects.create(
            structure=structure_a,
            actor_label="x",
            file_name="f.csv",
            stored_name="",
            status=status,
        )
    text = scrape(client)
    assert value(text, "caducee_imports", state="running") == 1
    assert value(text, "caducee_imports", state="done") == 2
    assert value(text, "caducee_imports", state="failed") == 1
    assert value(text, "caducee_imports", state="previewed") == 0
