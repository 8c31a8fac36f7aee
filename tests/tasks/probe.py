"""Tasks used by the tests of the task machinery: each run leaves a trace in a file."""

from __future__ import annotations

import os
from pathlib import Path

from django_tasks import task

from caducee.tasks.dispatch import retry_later
from caducee.tasks.queues import DEFAULT, URGENT


@task(queue_name=DEFAULT)
def record(path: str, label: str) -> str:
    """Append `label` (and who ran it) to the file at `path`, one line per run."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{label} {os.getpid()}\n")
    return label


@task(queue_name=URGENT)
def record_urgent(path: str, label: str) -> str:
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(f"{label}\n")
    return label


@task(queue_name=DEFAULT)
def flaky(path: str, failures: int, attempt: int = 1) -> int:
    """Fail `failures` times (retried by retry_later), then succeed."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"attempt {attempt}\n")
    if attempt <= failures:
        retry_later(flaky, attempt, ConnectionRefusedError("relais injoignable"), path, failures)
        return -1
    return attempt
