"""Progress and signs of life of a running import job, for every process that polls it.

The writing pass is one transaction on the worker's connection: what that connection
writes is invisible until commit. So:

- PostgreSQL: a small thread with its own connection writes the progress (phase, lines
  done) to the job row every second while it changes, and the heartbeat (`heartbeat_at`)
  at least every HEARTBEAT_SECONDS. The import's transaction does not touch the job row
  before its very end, and the thread stops before that (`stop`), so neither waits for the
  other; the thread skips a row someone else has locked (SKIP LOCKED), it never waits.
- SQLite: one writer at a time for the whole database, and the import holds the write
  lock for its whole writing pass. Progress is written on the worker's own connection
  outside that transaction only (validation chunks, start of the writing pass); during
  the writing pass the console reads the in-memory progress (`jobs.LIVE`) when the worker
  is a thread of its process (`caducee serve`, the usual SQLite layout). Best effort: a
  failed progress write is logged and never fails the import.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import Error as DatabaseFailure
from django.db import connection, transaction
from django.utils import timezone

from caducee.loadusers.jobs import LIVE, PHASES
from caducee.loadusers.models import ImportJob

log = logging.getLogger("caducee.loadusers")

PROGRESS_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0

State = tuple[str, int, int]  # phase, done, total


class Heartbeat:
    """The progress callback of one run (`progress`) and, on PostgreSQL, its writer thread.

    Every write is conditioned on the run's claim and status, so a run that lost its job
    (or a job that ended) is never written over.
    """

    def __init__(self, job_id: int, claim: str, status: str) -> None:
        self.job_id = job_id
        self.claim = claim
        self.status = status
        self.state: State = ("validation", 0, 0)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.threaded = connection.vendor == "postgresql"

    def start(self) -> None:
        if self.threaded:
            self._thread = threading.Thread(
                target=self._loop, name=f"caducee-import-{self.job_id}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop writing (idempotent); returns once the thread wrote its last row."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def progress(self, phase: str, done: int, total: int) -> None:
        self.state = (phase, done, total)
        LIVE[self.job_id] = self.state
        if self.threaded or self._stopped.is_set():
            return
        if phase == "validation" or done == 0:  # outside the writing transaction
            try:
                with transaction.atomic():
                    self._write(self.state)
            except DatabaseFailure:  # e.g. SQLite still locked after its timeout
                log.warning("progress of import job %s not saved", self.job_id)

    def _write(self, state: State) -> int:
        phase, done, total = state
        return ImportJob.objects.filter(
            pk=self.job_id, claim=self.claim, status=self.status
        ).update(
            phase=PHASES.get(phase, phase),
            lines_done=done,
            lines_total=max(total, done),
            heartbeat_at=timezone.now(),
        )

    def _loop(self) -> None:
        written: State | None = None
        beaten = time.monotonic()
        try:
            while not self._stopped.wait(PROGRESS_SECONDS):
                state = self.state
                if state == written and time.monotonic() - beaten < HEARTBEAT_SECONDS:
                    continue
                if self._write_unless_locked(state):
                    written, beaten = state, time.monotonic()
        finally:
            connection.close()  # this thread's own connection

    def _write_unless_locked(self, state: State) -> bool:
        try:
            with transaction.atomic():
                free = ImportJob.objects.select_for_update(skip_locked=True).filter(
                    pk=self.job_id, claim=self.claim, status=self.status
                )
                if not free.values_list("pk", flat=True):
                    return False
                return self._write(state) == 1
        except DatabaseFailure:
            log.warning("progress of import job %s not saved", self.job_id, exc_info=True)
            connection.close()  # a fresh connection at the next beat
            return False
