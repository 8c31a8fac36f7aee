"""The task that sends outbox rows (one per batch of up to outbox.BATCH_SIZE rows)."""

from __future__ import annotations

from typing import Any

from django_tasks import task
from django_tasks.base import Task

from caducee.tasks.queues import DEFAULT


@task(queue_name=DEFAULT)
def send_emails(ids: list[int], attempt: int = 1) -> dict[str, int]:
    """Send the pending rows among `ids` that no other task holds (see emails/sending.py)."""
    from caducee.emails.sending import send_rows

    return send_rows(ids, attempt)


def task_for(queue: str) -> Task[Any, Any]:
    """`send_emails` on the rows' queue (login codes: `urgent`, first in line)."""
    from caducee.emails.outbox import priority_of

    if queue == DEFAULT:
        return send_emails
    if not send_emails.get_backend().supports_priority:  # Redis (rq): the queue alone
        return send_emails.using(queue_name=queue)
    return send_emails.using(queue_name=queue, priority=priority_of(queue))
