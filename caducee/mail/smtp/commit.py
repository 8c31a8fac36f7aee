"""Group commit of received messages: one transaction for all the messages waiting.

Each message's file is already fsync'd when it is submitted, its folder not yet: the
committing thread fsyncs the folders of the whole batch (each folder once), then commits
the batch's rows in one transaction (on SQLite in its turn among the SMTP processes,
`writer_turn`); each sender gets 250 only after both (the durability
guarantee). The duplicate check (a retried Message-ID, mail/dedupe.py) is made there too,
one statement per batch, on the committing thread's connection.
"""

from __future__ import annotations

import fcntl
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

from caducee.mail import inbound, store
from caducee.mail.models import Message


def _held() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class _Job:
    rows: list[Message]
    notify: set[int]  # ORG mailboxes whose connection accounts may want a notification
    # Released by the committing thread once `stored` or `error` is set: a plain lock is
    # the cheapest wake-up between two threads (a Future costs a Condition and callbacks).
    done: threading.Lock = field(default_factory=_held)
    stored: set[int] = field(default_factory=set)
    error: BaseException | None = None


def lock_path() -> str | None:
    """SQLite: the file through which the SMTP processes take turns to write (beside the
    database); PostgreSQL: none."""
    if connection.vendor != "sqlite":
        return None
    return f"{connection.settings_dict['NAME']}.smtp-lock"


@contextmanager
def writer_turn() -> Iterator[None]:
    """SQLite: the committing threads of the `caducee smtp` processes (`--processes N`)
    take their turn to write through `lock_path()` (`flock`): a waiting process is woken
    as soon as the other is done. Without it the second waited in SQLite's busy handler,
    which sleeps 1, 2, 5, 10… ms between its tries: with two processes each batch waited
    longer than it took to write (issue #19: 2 processes 254–308 → 354–393 msg/s,
    docs/PERFORMANCE.md). Other writers (web, workers) still wait in the busy handler.
    PostgreSQL needs none."""
    path = lock_path()
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class GroupCommit:
    """One thread commits the rows of all messages waiting at that moment in a single
    transaction: the file of each is already fsync'd; the folders of the batch are fsync'd
    first (`store.sync_directories`); each sender gets 250 only after both."""

    def __init__(self, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self.pending: queue.SimpleQueue[_Job | Future[None]] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="caducee-commit", daemon=True)
                self.thread.start()

    def submit(self, rows: list[Message], notify: set[int]) -> set[int]:
        """Wait until these rows are committed; return the mailboxes whose row was saved
        (the others had already received this Message-ID: a retry, not stored again)."""
        self._ensure_thread()
        job = _Job(rows, notify)
        self.pending.put(job)
        if not job.done.acquire(timeout=120):
            raise TimeoutError("group commit: no answer in 120 s")
        if job.error is not None:
            raise job.error
        return job.stored

    def release(self) -> None:
        """Let the committing thread close its database connection."""
        if self.thread is not None and self.thread.is_alive():
            closed: Future[None] = Future()
            self.pending.put(closed)
            closed.result(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.pending.get()
            if isinstance(first, Future):
                connection.close()
                first.set_result(None)
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self.pending.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, Future):
                    self.pending.put(item)
                    break
                batch.append(item)
            try:
                rows = [row for job in batch for row in job.rows]
                store.sync_directories(row.path for row in rows)
                with writer_turn():
                    saved = inbound.commit_inbound(
                        rows, set().union(*(job.notify for job in batch))
                    )
            except Exception as exc:  # every waiting sender gets a 451
                connection.close()
                for job in batch:
                    job.error = exc
                    job.done.release()
            else:
                kept = {id(row) for row in saved}
                for job in batch:
                    job.stored = {row.mailbox_id for row in job.rows if id(row) in kept}
                    job.done.release()


committer = GroupCommit()
