"""SQLite's trigram index of the accounts (migration accounts 0010), filled in batches by
bulk writers.

The index is kept by triggers on the accounts table: each account inserted runs the insert
trigger's own INSERT into the index, one statement per account. For 94,099 accounts that
cost 4.1 s of CPU (43 µs an account); the same rows indexed by one `INSERT … SELECT` per
batch of 1,000 accounts cost 0.4–1.0 s (docs/PERFORMANCE.md, issue #19).
`indexed_in_batches` lets the loaduser import do that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

SEARCH_INDEX = "accounts_account_search"
INDEXED_COLUMNS = ("email", "last_name", "first_name", "rpps", "adeli")
INSERT_TRIGGER = f"{SEARCH_INDEX}_ai"

IndexBatch = Callable[[Sequence[int]], None]


@contextmanager
def indexed_in_batches() -> Iterator[IndexBatch]:
    """Inside the caller's transaction: on SQLite, the index's insert trigger is dropped and
    the caller indexes each batch of accounts it inserted with `index(ids)`; the trigger is
    created again from its own SQL (read back from the schema) when the block ends, so other
    writers never see the schema without it (SQLite has one writer at a time; readers see
    the schema as of the last commit) and a rollback restores it anyway. Elsewhere, or when
    the index is not there: `index` does nothing and the triggers stay."""
    trigger_sql = _trigger_sql() if connection.vendor == "sqlite" else None
    if trigger_sql is None:
        yield _nothing
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexed_in_batches: inside a transaction only")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {quote(INSERT_TRIGGER)}")
    try:
        yield _index
    finally:
        with connection.cursor() as cursor:
            cursor.execute(trigger_sql)


def _trigger_sql() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [INSERT_TRIGGER]
        )
        row = cursor.fetchone()
    return str(row[0]) if row else None


def _index(ids: Sequence[int]) -> None:
    if not ids:
        return
    columns = ", ".join(INDEXED_COLUMNS)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SEARCH_INDEX}(rowid, {columns}) "  # noqa: S608 (constants)
            f"SELECT id, {columns} FROM accounts_account WHERE id IN ({marks})",
            list(ids),
        )


def _nothing(ids: Sequence[int]) -> None:
    """Not SQLite: the database's own indexes follow the rows."""
