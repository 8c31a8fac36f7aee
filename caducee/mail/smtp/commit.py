"""Group commit of received messages: one transaction for all the messages waiting.

Each message's file is already fsync'd when it is submitted, its folder not yet: the
committing thread fsyncs the folders of the whole batch (each folder once), then commits
the batch's rows in one transaction; each sender gets 250 only after both (the durability
guarantee).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.db import connection

from caducee.mail import inbound, store
from caducee.mail.models import Message


@dataclass
class _Job:
    rows: list[Message]
    notify: set[int]  # ORG mailboxes whose connection accounts may want a notification
    done: Future[None] = field(default_factory=Future)


class GroupCommit:
    """One thread commits the rows of all messages waiting at that moment in a single
    transaction: the file of each is already fsync'd; the folders of the batch are fsync'd
    first (`store.sync_directories`); each sender gets 250 only after both."""

    def __init__(self, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self.pending: queue.Queue[_Job | Future[None]] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="caducee-commit", daemon=True)
                self.thread.start()

    def submit(self, rows: list[Message], notify: set[int]) -> None:
        self._ensure_thread()
        job = _Job(rows, notify)
        self.pending.put(job)
        job.done.result(timeout=120)

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
                store.sync_directories(row.path for job in batch for row in job.rows)
                inbound.commit_inbound(
                    [row for job in batch for row in job.rows],
                    set().union(*(job.notify for job in batch)),
                )
            except Exception as exc:  # every waiting sender gets a 451
                connection.close()
                for job in batch:
                    job.done.set_exception(exc)
            else:
                for job in batch:
                    job.done.set_result(None)


committer = GroupCommit()
