"""Queueing platform emails: render now, write an outbox row in the caller's transaction,
enqueue the sending task once it commits.

- A rollback removes the rows with the rest of the action: no email for what did not
  happen. A commit enqueues `send_emails` for the rows of that transaction, up to
  BATCH_SIZE ids per task (an import of 100,000 accounts makes ~500 tasks).
- Enqueueing never fails the action (caducee.tasks.dispatch.enqueue_now logs); a row whose
  task was lost is enqueued again by the sweep (caducee/emails/jobs.py).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from caducee.emails.models import OutgoingEmail
from caducee.tasks.queues import DEFAULT, URGENT, URGENT_PRIORITY

BATCH_SIZE = 200


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _plain(name: str, context: dict[str, Any]) -> str:
    """A plain-text template rendered without HTML escaping: « L'Hôpital » stays so, not
    « L&#x27;Hôpital », in a subject or a text part."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def render(template: str, context: Mapping[str, Any]) -> Rendered:
    """templates/emails/<template>.subject.txt, .txt and .html, rendered (the HTML part
    escaped, the subject and text parts not)."""
    ctx = dict(context)
    return Rendered(
        subject=" ".join(_plain(f"emails/{template}.subject.txt", ctx).split()),
        text=_plain(f"emails/{template}.txt", ctx),
        html=render_to_string(f"emails/{template}.html", ctx),
    )


def priority_of(queue: str) -> int:
    return URGENT_PRIORITY if queue == URGENT else 0


def new_row(
    to: str, template: str, rendered: Rendered, *, queue: str = DEFAULT, key: str = ""
) -> OutgoingEmail:
    """An unsaved outbox row (due now)."""
    return OutgoingEmail(
        key=key or uuid.uuid4().hex,
        template=template,
        recipient=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        queue=queue,
        priority=priority_of(queue),
        next_attempt_at=timezone.now(),
    )


def queue_email(
    to: str,
    template: str,
    context: Mapping[str, Any],
    *,
    queue: str = DEFAULT,
    key: str = "",
    using: str = DEFAULT_DB_ALIAS,
) -> OutgoingEmail:
    """Write one email's row now; its task is enqueued when the transaction commits.

    With a caller's `key` already in the outbox, nothing is written: that email is queued
    (or sent) already, and the duplicate never fails the caller's transaction."""
    row = new_row(to, template, render(template, context), queue=queue, key=key)
    if key:
        try:
            with transaction.atomic(using=using):
                row.save(using=using)
        except IntegrityError:
            return OutgoingEmail.objects.using(using).get(key=key)
    else:
        row.save(using=using)
    _after_commit([row.pk], queue, using)
    return row


def queue_rows(rows: Iterable[OutgoingEmail], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Write many unsaved rows with bulk inserts (BATCH_SIZE a statement) and enqueue their
    tasks on commit; the number written. For bulk senders and benchmarks."""
    count = 0
    chunk: list[OutgoingEmail] = []
    with transaction.atomic(using=using):
        for row in rows:
            chunk.append(row)
            if len(chunk) >= BATCH_SIZE:
                count += _insert(chunk, using)
                chunk = []
        if chunk:
            count += _insert(chunk, using)
    return count


def _insert(chunk: list[OutgoingEmail], using: str) -> int:
    created = OutgoingEmail.objects.using(using).bulk_create(chunk)
    by_queue: dict[str, list[int]] = {}
    for row in created:
        by_queue.setdefault(row.queue, []).append(row.pk)
    for queue, ids in by_queue.items():
        _after_commit(ids, queue, using)
    return len(created)


def enqueue(ids: list[int], queue: str) -> bool:
    """Enqueue `send_emails` for rows already committed, BATCH_SIZE ids a task."""
    from caducee.emails.tasks import task_for
    from caducee.tasks.dispatch import enqueue_now

    ok = True
    for start in range(0, len(ids), BATCH_SIZE):
        ok = enqueue_now(task_for(queue), ids[start : start + BATCH_SIZE]) and ok
    return ok


# --- one batch of ids per transaction and queue ----------------------------------------


@dataclass
class _Batch:
    queue: str
    using: str
    hooks: list[Any]  # the connection's on-commit list this batch belongs to
    ids: list[int] = field(default_factory=list)
    flushed: bool = False

    def flush(self) -> None:
        if self.flushed:
            return
        self.flushed = True
        enqueue(self.ids, self.queue)


class _Batches(threading.local):
    def __init__(self) -> None:
        self.open: dict[tuple[str, str], _Batch] = {}


_BATCHES = _Batches()


def _after_commit(ids: list[int], queue: str, using: str) -> None:
    """Add ids to this transaction's batch for `queue` (a new batch after BATCH_SIZE ids).

    Each call registers the batch's flush on commit (the first run enqueues, the others
    do nothing), so a caller that runs only part of the on-commit callbacks (a test's
    captureOnCommitCallbacks) still enqueues its own emails. Django replaces the on-commit
    list at each commit or rollback: a batch tied to an older list is never reused.
    """
    conn = connections[using]
    if not conn.in_atomic_block:
        enqueue(ids, queue)  # autocommit: the rows are already committed
        return
    batch = _BATCHES.open.get((using, queue))
    if (
        batch is None
        or batch.flushed
        or batch.hooks is not conn.run_on_commit
        or len(batch.ids) + len(ids) > BATCH_SIZE
    ):
        batch = _Batch(queue, using, conn.run_on_commit)
        _BATCHES.open[(using, queue)] = batch
    batch.ids.extend(ids)
    transaction.on_commit(batch.flush, using=using)
    batch.hooks = conn.run_on_commit
