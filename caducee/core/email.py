"""Platform emails (French, plain text + HTML) as background tasks.

`send_on_commit` renders the email now and writes it to the outbox in the caller's
transaction (a rollback: no email); once the transaction commits, a task sends it
(caducee/emails/: retries, idempotency, the `urgent` queue for login codes). A relay
failure never fails nor undoes the action that asked for the email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caducee.tasks.queues import DEFAULT


def send_on_commit(
    to: str,
    template: str,
    context: Mapping[str, Any],
    *,
    queue: str = DEFAULT,
    key: str = "",
    best_effort: bool = True,
) -> None:
    """Queue templates/emails/<template>.* for `to`, sent after the transaction commits.

    `queue`: caducee.tasks.queues (URGENT for one-time login codes). `key`: an idempotency
    key when the caller has a natural one (default: a fresh one). `best_effort` is
    accepted for older callers: every email is best effort now.
    """
    from caducee.emails.outbox import queue_email

    del best_effort
    queue_email(to, template, context, queue=queue, key=key)
