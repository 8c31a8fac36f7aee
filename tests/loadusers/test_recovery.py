"""Recovery of import jobs whose worker died: run again, or abandoned after N runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.recovery import scheduled
from caducee.people.models import User
from caducee.scheduler import registry
from caducee.structures.models import Structure
from caducee.tasks.queues import IMPORTS
from caducee.tasks.worker import run_ready
from tests.loadusers.builders import csv_bytes, line

Capture = Callable[..., Any]
DEAD = f"{jobs.host()}:999999999"  # no such process on this machine


def held(alice: User, structure: Structure, worker: str, **fields: Any) -> ImportJob:
    """A confirmed job, claimed by `worker` as a run that never finished would leave it."""
    ctx = Context(user=alice, channel="web")
    data = csv_bytes([line("MED", "m@ch-a.fr"), line("MED", "n@ch-a.fr")])
    job = jobs.start_import(
        ctx, structure, ContentFile(data, name="f.csv"), notify=False, visible=False
    )
    values = {
        "status": JobStatus.RUNNING,
        "claim": "a" * 32,
        "worker": worker,
        "runs": 1,
        "heartbeat_at": timezone.now(),
        **fields,
    }
    ImportJob.objects.filter(pk=job.pk).update(**values)
    job.refresh_from_db()
    return job


def test_a_job_of_a_dead_worker_runs_again_and_completes(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    job = held(alice, structure_a, DEAD)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.recover_interrupted() == 1
    job.refresh_from_db()
    assert (job.claim, job.phase) == ("", jobs.PHASES["queued"])
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["kwargs"]["user_id"] == alice.pk  # the person, from the job
    assert run_ready([IMPORTS]) == 1
    job.refresh_from_db()
    assert (job.status, job.created, job.runs) == (JobStatus.DONE, 2, 2)
    assert Account.objects.count() == 2


def test_live_workers_are_left_alone(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    other_host = held(alice, structure_a, "ailleurs:12")
    assert jobs.recover_interrupted() == 0
    other_host.refresh_from_db()
    assert other_host.claim == "a" * 32 and not DBTaskResult.objects.exists()


def test_a_silent_worker_of_another_machine_is_judged_by_its_heartbeat(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    old = timezone.now() - timedelta(seconds=121)
    job = held(alice, structure_a, "ailleurs:12", heartbeat_at=old)
    recovered = jobs.recover_interrupted()
    job.refresh_from_db()
    if connection.vendor == "postgresql":  # heartbeats are written during the writing pass
        assert recovered == 1 and job.claim == ""
    else:  # SQLite is one machine: another host's run is judged after a day only
        assert recovered == 0 and job.claim == "a" * 32


def test_a_run_of_this_process_that_ended_without_its_outcome_is_dead(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    job = held(alice, structure_a, jobs.worker_id())
    assert jobs.recover_interrupted() == 1
    job.refresh_from_db()
    assert job.claim == ""


@override_settings(IMPORT_MAX_RUNS=3)
def test_a_job_interrupted_too_often_is_abandoned(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    job = held(alice, structure_a, DEAD, runs=3)
    assert jobs.recover_interrupted() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "interrompu 3 fois" in job.error and "rien n'a été modifié" in job.error
    assert not DBTaskResult.objects.exists()
    assert not job.stored_name


@override_settings(IMPORT_STALE_SECONDS=120)
def test_a_job_waiting_too_long_for_a_worker_is_enqueued_again(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="web")
    data = csv_bytes([line("MED")])
    job = jobs.start_import(
        ctx, structure_a, ContentFile(data, name="f.csv"), notify=False, visible=False
    )
    assert jobs.recover_interrupted() == 0  # just queued
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.recover_interrupted() == 1
    assert run_ready([IMPORTS]) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED


def test_the_scheduler_runs_the_recovery(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    job = registry.get("imports_recovery")
    assert job is not None and job.interval() == timedelta(minutes=1)
    assert scheduled() == "Aucun import interrompu."
    held(alice, structure_a, DEAD)
    assert job.run().startswith("1 import(s) relancé(s) après l'arrêt de leur worker")


def test_files_left_by_finished_jobs_are_deleted(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    job = held(alice, structure_a, DEAD, status=JobStatus.DONE)
    assert default_storage.exists(job.stored_name)
    jobs.recover_interrupted()
    assert not default_storage.exists(job.stored_name)
