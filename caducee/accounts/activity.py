"""A mailbox's activity dates (issue #15): last login, message sent, received, read.

Written at most once a day per mailbox and kind, so that activity costs no write per
request and next to nothing on the hot paths (SMTP ingest above all):

- an in-process memo remembers, for today, the mailboxes already stamped: a hook that
  finds every mailbox in it issues no query at all (one set lookup per mailbox);
- otherwise one conditional `UPDATE … WHERE field IS NULL OR field < start of today`
  runs once the caller's transaction has committed (`transaction.on_commit`), in its own
  short statement: a rollback stamps nothing, and the caller never waits on, or fails
  because of, the stamp. Rows locked by another transaction (an import's writing pass
  holding its accounts) are skipped on PostgreSQL (`FOR UPDATE SKIP LOCKED`) rather than
  waited for, and stamped by the next message of the day.

Several processes (web, SMTP, workers) each keep their own memo: each may issue the
UPDATE once a day per mailbox, and only the first one writes. The dates say "active on
that day", not the exact last instant: the inactivity rule counts in days.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import date, datetime, time
from enum import StrEnum

from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from caducee.accounts.models import Account

log = logging.getLogger("caducee.accounts.activity")


class Activity(StrEnum):
    """The kinds of activity, named by the Account field each one maintains."""

    LOGIN = "last_login_at"
    SENT = "last_sent_at"
    RECEIVED = "last_received_at"
    READ = "last_read_at"


class _Memo:
    """The mailboxes already stamped today, per kind; emptied when the day changes."""

    def __init__(self) -> None:
        self.day: date | None = None
        self.done: dict[Activity, set[int]] = {kind: set() for kind in Activity}
        self.lock = threading.Lock()

    def _of(self, kind: Activity, today: date) -> set[int]:
        if self.day != today:
            with self.lock:
                if self.day != today:
                    self.done = {k: set() for k in Activity}
                    self.day = today
        return self.done[kind]

    def pending(self, kind: Activity, ids: Iterable[int], today: date) -> list[int]:
        done = self._of(kind, today)
        return sorted({i for i in ids if i not in done})

    def remember(self, kind: Activity, ids: Iterable[int], today: date) -> None:
        if today == timezone.localdate():  # a stamp finishing after midnight: forget it
            self._of(kind, today).update(ids)

    def clear(self) -> None:
        with self.lock:
            self.day = None
            self.done = {k: set() for k in Activity}


_memo = _Memo()


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in the platform's time zone (CADUCEE_TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def note(kind: Activity, account_ids: Iterable[int | None]) -> None:
    """Record `kind` activity for these mailboxes, once the current transaction commits.

    Costs one memo lookup per mailbox when each was already stamped today."""
    today = timezone.localdate()
    ids = _memo.pending(kind, (i for i in account_ids if i is not None), today)
    if ids:
        transaction.on_commit(lambda: stamp(kind, ids, today))


def stamp(kind: Activity, ids: list[int], today: date) -> int:
    """The conditional UPDATE; returns the number of rows written. Never raises: a failed
    stamp is logged and tried again by the next activity of the day."""
    field = str(kind)
    stale = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": start_of_day(today)})
    candidates = Account.objects.filter(stale, pk__in=ids)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    try:
        with transaction.atomic():
            written = Account.objects.filter(pk__in=candidates.values("pk")).update(
                **{field: timezone.now()}
            )
    except DatabaseError:
        log.warning("activity %s of %d mailbox(es) not recorded", field, len(ids), exc_info=True)
        return 0
    # Remember the rows now stamped today (written here or by another process), not those
    # skipped because locked: the next activity of the day tries them again. Only when
    # fewer rows were written than asked does one short query tell which are which.
    if written == len(ids) or not connection.features.has_select_for_update_skip_locked:
        _memo.remember(kind, ids, today)
    else:
        fresh = Account.objects.filter(pk__in=ids).exclude(stale).values_list("pk", flat=True)
        _memo.remember(kind, list(fresh), today)
    return written


def forget() -> None:
    """Empty the memo (tests; a process that wants every hook to query again)."""
    _memo.clear()


def last_activity(account: Account) -> datetime | None:
    """The latest of the four dates: what the inactivity rule reads."""
    dates = [getattr(account, str(kind)) for kind in Activity]
    known = [d for d in dates if d is not None]
    return max(known) if known else None
