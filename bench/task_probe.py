"""A task that does nothing, to measure the task queue itself (bench/tasks.py)."""

from __future__ import annotations

from django_tasks import task

from caducee.tasks.queues import DEFAULT


@task(queue_name=DEFAULT)
def noop(n: int) -> int:
    return n
