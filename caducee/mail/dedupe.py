"""A message already stored is not stored again: SMTP retries after a cut session.

SMTP delivers at least once: when a connection breaks after the server has stored a message
but before the client has read the `250` (a process killed, a network cut), the client sends
the message again, and a naive server keeps two copies (RFC 5321 §4.1.1.4 names the risk).
RFC 5322 §3.6.4 makes the `Message-ID` the identity of a message, so a second arrival of the
same `Message-ID` in the same mailbox within `CADUCEE_MAIL_DEDUPE_HOURS` is that retry (or
the same message reaching the mailbox twice, by Cc and by a list): the server answers `250`
as it did the first time and keeps the one copy it has — what mail stores' duplicate
suppression does (procmail's `formail -D`, Sieve's `duplicate` extension, RFC 7352).

- inbound (another operator's server → a local mailbox): per mailbox, in its inbox;
- submission (a professional's mail client → the platform): per sending mailbox, in its
  « Envoyés »; the first copy was already delivered and queued, so nothing is sent twice.

A message without `Message-ID` is never taken for another one. `CADUCEE_MAIL_DEDUPE_HOURS=0`
turns the check off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from caducee.mail.models import Message, SystemFolder


def _window_start() -> datetime | None:
    hours = settings.MAIL_DEDUPE_HOURS
    if hours <= 0:
        return None
    return timezone.now() - timedelta(hours=hours)


def first_copies(messages: Sequence[tuple[int, str]]) -> list[bool]:
    """For each (mailbox id, Message-ID), in order: False when that mailbox already
    received that Message-ID, within the window, or earlier in the same list (two copies of
    one message in one SMTP group commit); True otherwise, and always without Message-ID.

    Any folder counts (the first copy may have been filed or trashed since), except the
    mailbox's own « Envoyés » and « Brouillons »: a message one sends to oneself is both.
    One SQL statement for the whole list: the SMTP group commit checks its batch at once
    (on the SMTP hot path, compiling an ORM query cost more than running it).
    """
    since = _window_start()
    keyed = [(pk, mid) for pk, mid in messages if mid]
    if since is None or not keyed:
        return [True] * len(messages)
    ids = sorted({pk for pk, _ in keyed})
    message_ids = sorted({mid for _, mid in keyed})
    sql = (
        f"SELECT mailbox_id, message_id FROM {Message._meta.db_table} "  # noqa: S608 - the model's table
        f"WHERE mailbox_id IN ({', '.join(['%s'] * len(ids))}) "
        f"AND message_id IN ({', '.join(['%s'] * len(message_ids))}) "
        "AND received_at >= %s AND folder NOT IN (%s, %s)"
    )
    params = [*ids, *message_ids, connection.ops.adapt_datetimefield_value(since)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, SystemFolder.SENT.value, SystemFolder.DRAFTS.value])
        seen = {(int(pk), str(mid)) for pk, mid in cursor.fetchall()}
    result = []
    for pk, mid in messages:
        result.append(not mid or (pk, mid) not in seen)
        if mid:
            seen.add((pk, mid))
    return result


def already_submitted(mailbox_id: int, message_id: str) -> Message | None:
    """The copy in « Envoyés » of a message this mailbox already submitted, if any."""
    since = _window_start()
    if not message_id or since is None:
        return None
    return (
        Message.objects.filter(
            mailbox_id=mailbox_id,
            message_id=message_id,
            folder=SystemFolder.SENT,
            received_at__gte=since,
        )
        .order_by("pk")
        .first()
    )
