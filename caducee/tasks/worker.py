"""Running tasks: the worker loop of `caducee worker` and of `caducee serve`'s threads.

Database backend: django-tasks-db's own worker (claims with SELECT … FOR UPDATE SKIP
LOCKED on PostgreSQL, an exclusive transaction on SQLite), so two workers never run the
same task. Redis backend: an RQ worker loop in this thread (caducee/tasks/rq_loop.py), which also
moves the retries that fell due from RQ's scheduled registry to their queue.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from typing import Any

from django.db import connection

from caducee.tasks.config import uses_database_backend
from caducee.tasks.queues import ALL

log = logging.getLogger("caducee.tasks")

RESTART_SECONDS = 5.0


def worker_id(suffix: str = "") -> str:
    """host:pid[:suffix], at most 64 characters (django-tasks-db's limit)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return (f"{base}:{suffix}" if suffix else base)[-64:]


def _db_worker(queues: Iterable[str], *, interval: float, batch: bool, name: str) -> Any:
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=list(queues),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id(name),
        excluded_queue_names=[],
    )


def run_ready(queues: Iterable[str] = ALL, limit: int = 100_000) -> int:
    """Run the tasks ready now in this thread, then return how many ran (`--batch`)."""
    names = list(queues)
    if not uses_database_backend():
        from caducee.tasks.rq_loop import RQLoop

        return RQLoop(names, name=f"batch-{threading.get_ident()}").run_ready(limit)
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = _db_worker(names, interval=0, batch=True, name="batch")
    ran = 0
    while ran < limit:
        ready = DBTaskResult.objects.ready().filter(backend_name="default", queue_name__in=names)
        with exclusive_transaction(ready.db):
            result = ready.get_locked()
            if result is not None:
                result.claim(worker.worker_id)
        if result is None:
            return ran
        worker.run_task(result)
        ran += 1
        result.refresh_from_db()
        if result.status == "FAILED":
            log.error("task %s failed:\n%s", result.task_path, result.traceback)
    return ran


class WorkerThread(threading.Thread):
    """A worker loop in a thread of `caducee serve` (or of a test), stopped by `stop()`."""

    def __init__(self, queues: Iterable[str], *, interval: float = 1.0, name: str = "") -> None:
        self.queues = list(queues)
        label = name or "+".join(self.queues)
        super().__init__(name=f"caducee-worker-{label}", daemon=True)
        self._interval = interval
        self._label = label
        self._worker: Any = None
        self._stopped = threading.Event()

    def run(self) -> None:
        """The loop, started again after an unexpected error (say the database restarting),
        so that a queue is never left without its worker."""
        while not self._stopped.is_set():
            try:
                self._loop()
                return
            except Exception:
                log.exception(
                    "task worker %s stopped on an error; restarted in %.0f s",
                    self._label,
                    RESTART_SECONDS,
                )
                self._stopped.wait(RESTART_SECONDS)
            finally:
                connection.close()

    def _loop(self) -> None:
        if uses_database_backend():
            self._worker = _db_worker(
                self.queues, interval=self._interval, batch=False, name=self._label
            )
            if not self._stopped.is_set():
                self._worker.run()
        else:
            from caducee.tasks.rq_loop import RQLoop

            self._worker = RQLoop(self.queues, name=self._label)
            self._worker.run_forever(self._stopped)

    def request_stop(self) -> None:
        """Ask the loop to stop after the current task, without waiting."""
        self._stopped.set()
        worker = self._worker
        if worker is not None and uses_database_backend():
            worker.running = False

    def stop(self, timeout: float = 30.0) -> None:
        self.request_stop()
        self.join(timeout)


def start_threads(groups: Iterable[Iterable[str]] | None = None) -> list[WorkerThread]:
    """One worker thread per group of queues (default: one per queue)."""
    chosen = groups if groups is not None else [(name,) for name in ALL]
    threads = [WorkerThread(group) for group in chosen]
    for thread in threads:
        thread.start()
    return threads


def stop_threads(threads: Iterable[WorkerThread]) -> None:
    """Ask every thread to stop, then wait for each (they stop together)."""
    chosen = list(threads)
    for thread in chosen:
        thread.request_stop()
    for thread in chosen:
        thread.stop()
