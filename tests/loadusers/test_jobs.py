"""Background import jobs: a progress write that fails does not fail the import."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet

from caducee.core.context import Context
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.loadusers.builders import csv_bytes, line


def test_a_lost_progress_write_does_not_fail_the_import(
    monkeypatch: pytest.MonkeyPatch, alice: User, structure_a: Structure
) -> None:
    ctx = Context(user=alice, channel="web")
    data = csv_bytes([line("MED", "m@ch-a.fr")])
    job = jobs.create_job(ctx, structure_a, data, "f.csv", notify=False, visible=False)
    original = QuerySet.update
    progress_writes: list[dict[str, Any]] = []

    def update(self: QuerySet[Any], **fields: Any) -> int:
        if self.model is ImportJob and "lines_done" in fields and "status" not in fields:
            progress_writes.append(fields)
            raise OperationalError("database is locked")  # SQLite, after its busy timeout
        return original(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    jobs._run(job.pk, ctx, dry_run=True)
    assert progress_writes  # the progress was written, and failed
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED
    assert (job.created, job.rejected) == (1, 0)
