"""Import jobs as tasks: one run per job, the person rebuilt, progress writes best effort."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.db.models.query import QuerySet
from django_tasks_db.models import DBTaskResult

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.loadusers import jobs
from caducee.loadusers.job_run import NO_FILE, NO_PERSON
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.tasks import run_import
from caducee.people.models import User
from caducee.structures.models import Structure
from caducee.tasks.queues import IMPORTS
from caducee.tasks.worker import run_ready
from tests.loadusers.builders import csv_bytes, line

Capture = Callable[..., Any]


def submitted(capture: Capture, ctx: Context, structure: Structure, data: bytes) -> ImportJob:
    """A job as the console creates it, its validation task enqueued (on commit)."""
    with capture(execute=True):
        job = jobs.start_import(
            ctx, structure, ContentFile(data, name="f.csv"), notify=False, visible=False
        )
    return job


def test_the_task_rebuilds_the_person_and_the_audit_names_them(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="api", ip="192.0.2.7")
    job = submitted(django_capture_on_commit_callbacks, ctx, structure_a, csv_bytes([line("MED")]))
    task = DBTaskResult.objects.get()
    assert task.queue_name == IMPORTS
    assert task.args_kwargs["kwargs"] == {  # JSON values only
        "job_id": job.pk,
        "dry_run": True,
        "user_id": alice.pk,
        "channel": "api",
        "ip": "192.0.2.7",
        "label": "",
    }
    assert run_ready([IMPORTS]) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and job.claim == "" and job.runs == 1
    with django_capture_on_commit_callbacks(execute=True):
        jobs.confirm(job, ctx)
    assert run_ready([IMPORTS]) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.created == 1
    event = AuditEvent.objects.get(action="account.create")
    assert (event.actor_id, event.channel, event.ip) == (alice.pk, "api", "192.0.2.7")


def test_two_tasks_for_one_job_run_it_once(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="web")
    job = submitted(django_capture_on_commit_callbacks, ctx, structure_a, csv_bytes([line("MED")]))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(job.pk, dry_run=True, actor=jobs.actor_args(ctx))  # a duplicate
    assert run_ready([IMPORTS]) == 2
    outcomes = sorted(map(str, DBTaskResult.objects.values_list("return_value", flat=True)))
    assert outcomes == ["previewed", "skipped"]
    job.refresh_from_db()
    assert job.runs == 1


def test_a_person_deleted_since_the_upload_fails_the_job_clearly(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="web")
    job = submitted(django_capture_on_commit_callbacks, ctx, structure_a, csv_bytes([line("MED")]))
    name = job.stored_name
    run_import.call(job_id=job.pk, dry_run=True, user_id=None, channel="web", ip=None, label="")
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, NO_PERSON)
    assert not default_storage.exists(name) and not job.stored_name


def test_a_file_missing_from_the_storage_fails_the_job_clearly(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="web")
    job = submitted(django_capture_on_commit_callbacks, ctx, structure_a, csv_bytes([line("MED")]))
    default_storage.delete(job.stored_name)
    run_ready([IMPORTS])
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, NO_FILE)


def test_a_lost_progress_write_does_not_fail_the_import(
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
    alice: User,
    structure_a: Structure,
) -> None:
    ctx = Context(user=alice, channel="web")
    data = csv_bytes([line("MED", "m@ch-a.fr")])
    job = submitted(django_capture_on_commit_callbacks, ctx, structure_a, data)
    original = QuerySet.update
    progress_writes: list[dict[str, Any]] = []

    def update(self: QuerySet[Any], **fields: Any) -> int:
        progress = "heartbeat_at" in fields and not {"status", "claim"} & set(fields)
        if self.model is ImportJob and progress:
            progress_writes.append(fields)
            raise OperationalError("database is locked")  # SQLite, after its busy timeout
        return original(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    run_ready([IMPORTS])
    if connection.vendor == "sqlite":  # PostgreSQL: written by a thread, every second
        assert progress_writes  # the progress was written, and failed
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED
    assert (job.created, job.rejected) == (1, 0)
    assert not Account.objects.exists()
