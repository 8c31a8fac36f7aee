"""A run of an import job commits together with its « done », or not at all.

Transactional tests: the import's transaction really commits (or not), as in a worker.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.people.models import User
from caducee.structures.models import Structure
from caducee.tasks.queues import IMPORTS
from caducee.tasks.worker import run_ready
from tests.loadusers.builders import csv_bytes, line

pytestmark = pytest.mark.django_db(transaction=True)


def previewed(alice: User, structure: Structure, data: bytes, *, notify: bool) -> ImportJob:
    ctx = Context(user=alice, channel="web")
    job = jobs.start_import(
        ctx, structure, ContentFile(data, name="f.csv"), notify=notify, visible=False
    )
    assert run_ready([IMPORTS]) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED, job.error
    jobs.confirm(job, ctx)
    return job


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_failure_after_the_commit_never_shows_the_import_failed(
    alice: User, structure_a: Structure
) -> None:
    """Issue #12: « notifier » with the relay down used to show a committed import as
    « échec, rien n'a été modifié »."""
    data = csv_bytes([line("MED", "m@ch-a.fr"), line("PER", "p@ch-a.fr")])
    job = previewed(alice, structure_a, data, notify=True)
    with override_settings(EMAIL_PORT=closed_port()):
        run_ready([IMPORTS])
    job.refresh_from_db()
    assert Account.objects.count() == 2
    assert (job.status, job.created, job.error) == (JobStatus.DONE, 2, "")
    # The finalisation emails wait in the outbox for the relay (caducee/emails), sent by
    # their own tasks: nothing after the import's commit can fail it any more.
    assert OutgoingEmail.objects.filter(status=EmailStatus.PENDING).count() == 2


LINES = 15_000


def test_a_run_that_lost_its_claim_commits_nothing(alice: User, structure_a: Structure) -> None:
    """The recovery may hand a job to another run while the first still works (its heartbeat
    looked stale): exactly one of them wins."""
    # Long enough for the writing pass to outlast the heartbeat thread's first progress
    # write (every second): with 3,000 lines a quiet machine finished before it.
    data = csv_bytes([line("MED", f"m{i}@ch-a.fr") for i in range(LINES)])
    job = previewed(alice, structure_a, data, notify=False)

    def run_then_disconnect() -> None:
        run_ready([IMPORTS])
        connection.close()

    worker = threading.Thread(target=run_then_disconnect)
    worker.start()
    deadline = time.monotonic() + 60
    while ImportJob.objects.get(pk=job.pk).phase != jobs.PHASES["writing"]:
        assert time.monotonic() < deadline and worker.is_alive(), "no writing pass seen"
        time.sleep(0.01)
    # Another process takes the job over (PostgreSQL: at once; SQLite: once the import's
    # write lock is released, i.e. after its commit).
    stolen = ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(claim="x" * 32)
    worker.join(60)
    job.refresh_from_db()
    if connection.vendor == "postgresql":
        assert stolen == 1
        assert (job.status, job.claim) == (JobStatus.RUNNING, "x" * 32)
        assert not Account.objects.exists()  # the first run rolled back
    else:
        assert stolen == 0
        assert job.status == JobStatus.DONE and Account.objects.count() == LINES
