"""The worker loop for the Redis backend (django-tasks-rq), run in a thread.

RQ's own `Worker.work()` is made for a process of its own: it installs signal handlers,
blocks on Redis for minutes, forks its scheduler. Here the loop is ours, made of RQ's
steps, so that it runs in a thread of `caducee worker` or `caducee serve` and stops
within about a second:

- each task runs in this thread (`SimpleWorker`, no fork), its timeout enforced by a
  timer rather than SIGALRM (signals belong to the main thread);
- a task is taken from Redis by an atomic pop, so two workers never run the same task;
- before each wait, the retries that fell due (RQ's scheduled registry, filled by
  `retry_later`) are moved to their queue, under RQ's per-queue scheduler lock so that
  only one worker of the platform moves them (RQ's `RQScheduler`, without its process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import close_old_connections

from caducee.tasks.worker import worker_id

log = logging.getLogger("caducee.tasks")

WAIT_SECONDS = 1  # longest wait on Redis, hence the longest delay to stop
RECONNECT_SECONDS = 5.0
MOVE_EVERY_SECONDS = 1.0  # how often due retries are moved to their queue


def _rq_worker(queues: list[str], name: str) -> Any:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker
    from rq.timeouts import TimerDeathPenalty

    class ThreadWorker(SimpleWorker):  # type: ignore[misc]
        """Signals belong to the command (or to `caducee serve`), not to this loop; and no
        pub/sub channel for `rq` commands (its thread takes up to a minute to stop)."""

        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self) -> None:
            return None

        def subscribe(self) -> None:
            return None

        def unsubscribe(self) -> None:
            return None

    return django_rq.get_worker(
        *queues,
        job_class=Job,
        worker_class=ThreadWorker,  # type: ignore[arg-type]
        name=worker_id(name),
    )


class RQLoop:
    """One RQ worker on `queues`, driven step by step. Nothing connects to Redis before
    `run_ready` or `run_forever`."""

    def __init__(self, queues: Iterable[str], *, name: str) -> None:
        self.queues = list(queues)
        self.name = name
        self.worker: Any = None
        self.scheduler: Any = None
        self.ran = 0
        self._moved_at = -MOVE_EVERY_SECONDS

    def _move_due_retries(self) -> None:
        now = time.monotonic()
        if now - self._moved_at < MOVE_EVERY_SECONDS:
            return
        self._moved_at = now
        if self.scheduler.acquire_locks():
            self.scheduler.enqueue_scheduled_jobs()

    def _run_one(self, wait: int | None) -> bool:
        """Take one task (waiting at most `wait` seconds; None: not at all) and run it."""
        self._move_due_retries()
        if wait is None:
            result = self.worker.dequeue_job_and_maintain_ttl(None)
        else:
            result = self.worker.dequeue_job_and_maintain_ttl(wait, max_idle_time=wait)
        if result is None:
            return False
        job, queue = result
        close_old_connections()
        try:
            self.worker.execute_job(job, queue)
        finally:
            close_old_connections()
        self.worker.heartbeat()
        self.ran += 1
        return True

    def _start(self) -> None:
        from rq.scheduler import RQScheduler

        self.worker = _rq_worker(self.queues, self.name)
        self.scheduler = RQScheduler(
            self.queues, connection=self.worker.connection, logging_level="WARNING"
        )
        self._moved_at = -MOVE_EVERY_SECONDS
        self.worker.bootstrap(logging_level="WARNING")

    def _finish(self) -> None:
        if self.worker is None:
            return
        try:
            self.scheduler.release_locks()
            self.worker.teardown()
        except Exception:  # Redis gone: the keys expire on their own
            log.warning("RQ worker %s could not unregister", self.worker.name, exc_info=True)

    def run_ready(self, limit: int) -> int:
        """Run the tasks ready now (and the retries due), then return how many ran."""
        from redis.exceptions import ConnectionError as RedisDown
        from redis.exceptions import TimeoutError as RedisTimeout

        from caducee.core.errors import OperationError

        try:
            self._start()
            try:
                while self.ran < limit and self._run_one(None):
                    pass
            finally:
                self._finish()
        except (RedisDown, RedisTimeout) as exc:
            raise OperationError(
                f"Redis ne répond pas (CADUCEE_TASKS_URL) : {exc} "
                f"{self.ran} tâche(s) exécutée(s) avant la coupure."
            ) from exc
        return self.ran

    def run_forever(self, stop: threading.Event) -> None:
        """Run tasks until `stop` is set; wait for Redis when it does not answer."""
        from redis.exceptions import ConnectionError as RedisDown
        from redis.exceptions import TimeoutError as RedisTimeout

        while not stop.is_set():
            try:
                self._start()
            except (RedisDown, RedisTimeout) as exc:
                log.warning(
                    "Redis ne répond pas (%s) : nouvel essai dans %.0f s.", exc, RECONNECT_SECONDS
                )
                stop.wait(RECONNECT_SECONDS)
                continue
            try:
                while not stop.is_set():
                    self._run_one(WAIT_SECONDS)
            except (RedisDown, RedisTimeout) as exc:
                log.warning(
                    "Connexion à Redis perdue (%s) : nouvel essai dans %.0f s.",
                    exc,
                    RECONNECT_SECONDS,
                )
                stop.wait(RECONNECT_SECONDS)
            finally:
                self._finish()
