"""The global order of audit events (`seq`), allocated without a global lock.

`seq` orders the journal pages and the API; it is no longer what proves that nothing was
deleted (each chain's own position, `chain_seq`, does, see `chains.py`). So it only has to
be unique and increasing, not gapless:

- PostgreSQL: a sequence (`audit_event_seq`, created by migration `0004_rt_audit_chains`);
  `nextval` never waits for another transaction, and a rolled-back transaction leaves a gap;
- SQLite: the next value after the largest one; writers are serialised by the database
  anyway (every transaction starts with BEGIN IMMEDIATE), so two never read the same one.
"""

from __future__ import annotations

from django.db import connection

SEQUENCE = "audit_event_seq"


def next_seqs(count: int) -> list[int]:
    """`count` new, increasing global sequence numbers. Inside the caller's transaction."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_auditevent")
        row = cursor.fetchone()
        last = int(row[0]) if row is not None else 0
    return list(range(last + 1, last + 1 + count))


def advance_past(seq: int) -> None:
    """Make sure the PostgreSQL sequence never hands out `seq` or a smaller number again
    (after an event numbered by hand, such as a seal written by a migration)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [SEQUENCE])
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return  # before migration 0004: numbered from the table, nothing to advance
        cursor.execute(
            f"SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM {SEQUENCE})))",  # noqa: S608
            [SEQUENCE, seq],
        )


def create_sequence_sql(start_after: int) -> list[str]:
    """The statements creating the PostgreSQL sequence, continuing after `start_after`."""
    return [
        f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint MINVALUE 1 "
        f"START WITH {start_after + 1}",
    ]
