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
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from caducee.accounts.validation import clean_account
from caducee.core.errors import OperationError, Problem

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


# The stored columns in order, and those whose missing value is stored as None (not "").
Shape = tuple[tuple[str, ...], frozenset[str]]


def stored_tuple(values: dict[str, Any], shape: Shape) -> tuple[Any, ...]:
    """`db_value` of every stored key, in the shape's order, in one pass: a value is
    stored as it is, a missing one as None or "" (tested against `db_value`)."""
    keys, keeps_none = shape
    get = values.get
    return tuple([v if (v := get(key)) is not None or key in keeps_none else "" for key in keys])


@dataclass(slots=True)
class Checked:
    """What the validation pass needs of a line's `clean_account` (issue #19: built where
    the field rules run, so that the importing process receives a tuple for a new
    account's values instead of a dictionary to convert)."""

    problems: list[Problem]
    ok: bool
    kind: str  # the line's type, "" if unknown
    links: list[str]  # the connection accounts named
    values: dict[str, Any] | None  # a line of an existing account: every value (updates)
    stored: tuple[Any, ...] | None  # a valid line of a new account: the values to store

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its constructor's arguments (issue #19: the pool's results cross
        back to the importing process; 40 % less to unpickle there than the slots' state)."""
        return (
            Checked,
            (self.problems, self.ok, self.kind, self.links, self.values, self.stored),
        )


def check(merged: dict[str, object], new: bool, shape: Shape) -> Checked:
    """`clean_account` of a merged line; `new`: the line names no existing account."""
    cleaned = clean_account(merged)
    values = cleaned.values
    ok = cleaned.ok
    kind = str(values.get("type", ""))
    links = values.get("connection_accounts") or []
    if not new:
        return Checked(cleaned.problems, ok, kind, links, values, None)
    return Checked(
        cleaned.problems, ok, kind, links, None, stored_tuple(values, shape) if ok else None
    )


def clean_many(rows: list[tuple[dict[str, object], bool]], shape: Shape) -> list[Checked]:
    """Runs in a pool process: `check` for each merged line, in order."""
    return [check(merged, new, shape) for merged, new in rows]


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
