"""The field rules of a large import run in a pool of processes: both cores check lines.

`clean_account` (the one field spec) is pure Python without database access, and most of
the validation pass's CPU: for a file of at least POOL_THRESHOLD lines (its size hint),
the validation pass (validation_pass.py) hands each chunk's merged lines to a pool of
`pool_workers()` processes and, while they check it, reads and prepares the next chunks
(reading, database lookups, merging with the existing accounts); the results are taken
back in file order, so the outcome is the same as in one process (tested).

The processes are started with `spawn` (never `fork`: the server has threads and open
database connections), import only the field rules (no Django setup, no database), and
live for one import. At most IN_FLIGHT chunks wait for them, so memory stays bounded.
Below the threshold the pool's start (about 0.3 s per process) would cost more than it
saves, and the lines are checked in the importing process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context

from caducee.accounts.validation import Cleaned, clean_account
from caducee.core.errors import OperationError

POOL_THRESHOLD = 20_000  # lines; see docs/PERFORMANCE.md (Loaduser, validation pool)
IN_FLIGHT = 4  # chunks submitted and not yet taken back
STOPPED = (
    "La vérification du fichier a été interrompue (un processus de vérification s'est "
    "arrêté) : rien n'a été modifié. Réessayez ; si cela se reproduit, découpez le fichier "
    "et prévenez l'équipe d'exploitation."
)


class PoolStopped(OperationError):
    """A process of the pool died (killed, out of memory): the import is abandoned."""


def pool_workers() -> int:
    """How many processes check lines: one per core, two at most (the pass's other half,
    reading and database lookups, stays in the importing process)."""
    return min(2, os.cpu_count() or 1)


def clean_many(rows: list[dict[str, object]]) -> list[Cleaned]:
    """Runs in a pool process: `clean_account` for each merged line, in order."""
    return [clean_account(row) for row in rows]


@contextmanager
def validation_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A spawn pool for one import, shut down (its pending work cancelled) on the way out;
    a process that dies becomes PoolStopped (French message, nothing written)."""
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        yield executor
    except BrokenProcessPool as exc:
        raise PoolStopped(STOPPED) from exc
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
