"""Enqueueing tasks: after the action's transaction commits, and again later on failure.

An action never fails because of its background work: the task is enqueued only once the
action has committed (never on rollback), and an enqueue failure (say Redis restarting) is
logged, not raised. Work that must not be lost keeps its own durable record (an outgoing
email row, an import job) that a scheduled sweep enqueues again.

Retries: a task that meets a transient failure (relay down, timeout) calls `retry_later`,
which enqueues it again after an exponential backoff (CADUCEE_TASK_RETRY_SECONDS, doubled
at each attempt, at most an hour) until CADUCEE_TASK_RETRY_ATTEMPTS attempts, then gives up
by raising. Tasks that retry take an `attempt` keyword argument (1 for the first run).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

log = logging.getLogger("caducee.tasks")

MAX_DELAY_SECONDS = 3600


def enqueue_now(task: Task[Any, Any], *args: Any, **kwargs: Any) -> bool:
    """Enqueue at once; False (logged) when the queue cannot take it."""
    try:
        task.enqueue(*args, **kwargs)
    except Exception:
        log.exception("task %s could not be enqueued", task.module_path)
        return False
    return True


def enqueue_on_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue when the surrounding transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: enqueue_now(task, *args, **kwargs))


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt number `attempt + 1`."""
    base = max(0.0, float(settings.TASK_RETRY_SECONDS))
    return float(min(MAX_DELAY_SECONDS, base * 2 ** max(0, attempt - 1)))


def retry_later(
    task: Task[Any, Any], attempt: int, exc: BaseException, *args: Any, **kwargs: Any
) -> None:
    """Enqueue `task(*args, attempt=attempt + 1, **kwargs)` after the backoff, or raise
    `exc` when the attempts are spent (the task then ends failed, with its error)."""
    if attempt >= int(settings.TASK_RETRY_ATTEMPTS):
        raise exc
    delay = backoff(attempt)
    log.warning(
        "task %s failed (attempt %s: %s), retried in %.0f s",
        task.module_path,
        attempt,
        exc,
        delay,
    )
    later = task.using(run_after=timezone.now() + timedelta(seconds=delay)) if delay else task
    later.enqueue(*args, attempt=attempt + 1, **kwargs)
