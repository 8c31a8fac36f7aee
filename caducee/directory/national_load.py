"""Loading the national extraction: staged on disk, sorted by name, swapped in at once.

Memory stays flat whatever the file's size:

1. the usable lines go, in batches, into a scratch SQLite file (a temporary file, no
   journal: it is thrown away), one row per address (a repeated address is counted and
   left out);
2. they are read back in name order and numbered: an entry's key is
   `generation << 32 | rank`, so a generation is one range of keys and the key order is
   the result order (the search indexes return matches in key order, national_search.py);
3. those rows are written under a new generation in state « loading », in batches of
   `BATCH` rows, each in its own short transaction (COPY on PostgreSQL, executemany on
   SQLite), with the generation's search index (`index`): other writers of a SQLite
   database wait for one batch at most, and no search reads a generation that is not the
   current one;
4. `swap` makes it current and the previous one « replaced » in one transaction; then
   the replaced generation is deleted (`delete_rows`).

The search index is per generation, so that a replaced one goes at once:
- SQLite: a contentless FTS5 table per generation, `directory_national_fts_<id>`, filled
  with the batches and dropped whole with its generation (deleting a million entries from
  a shared index cost about 40 s). FTS5 does not merge its segments while the batches are
  written (`automerge` 0: each batch would pay for it); the load merges them once at the
  end (`optimize`, about 15 s for a million entries): a search then reads each word's list
  from one place instead of dozens (« médecin brest » at a million entries: 190 ms before,
  6 ms after).
- PostgreSQL: the GIN index on `search_vector` serves every generation; the words of a
  generation's vectors are listed in `directory_national_word` (from `ts_stat`), which
  turns a typed prefix into the whole words it starts (national_search.py).
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields as dataclass_fields
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from caducee.core.bulk import insert_rows
from caducee.directory.models import NationalEntry, NationalGeneration
from caducee.directory.national_file import NationalRow

BATCH = 20_000
FTS_OPTIONS = "keywords, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'"
WORDS = "directory_national_word"  # PostgreSQL (migration 0007)
SHIFT = 32  # an entry's key: generation << SHIFT | rank (rank < 2**32)
# A load still « loading » after this long was interrupted: a whole load takes minutes.
STALE_AFTER = timedelta(hours=6)
COLUMNS = (
    "id",
    "bal_type",
    "address",
    "display_name",
    "rpps",
    "profession",
    "specialty",
    "organisation",
    "city",
    "department",
    "keywords",
)
FIELDS = tuple(f.name for f in dataclass_fields(NationalRow))
Row = tuple[int, str, str, str, str, str, str, str, str, str, str]


def key_range(generation_id: int) -> tuple[int, int]:
    """The keys of a generation's entries: `low < id < high`."""
    return generation_id << SHIFT, (generation_id + 1) << SHIFT


def stage(rows: Iterable[NationalRow], directory: Path | None = None) -> tuple[Path, int]:
    """Write the rows into a scratch SQLite file; return its path (the caller deletes it)
    and the number of rows left out because their address came earlier in the file.

    Rows are appended in file order (no index while writing: random-order inserts into a
    keyed table would turn a large file into random disk I/O); repeated addresses are then
    removed with one sort, and the name index is built with another."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed at once, deleted by the caller
        prefix="caducee-national-", suffix=".sqlite3", dir=directory, delete=False
    )
    handle.close()
    path = Path(handle.name)
    scratch = sqlite3.connect(path, isolation_level=None)
    try:
        scratch.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-64000;"
            "CREATE TABLE entry (sort_key TEXT, bal_type TEXT, address TEXT,"
            " display_name TEXT, rpps TEXT, profession TEXT, specialty TEXT,"
            " organisation TEXT, city TEXT, department TEXT, keywords TEXT);"
        )
        sql = "INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        fields = operator.attrgetter(*FIELDS)  # not `astuple`: it deep-copies every value
        iterator = (fields(row) for row in rows)
        scratch.execute("BEGIN")
        while batch := list(itertools.islice(iterator, BATCH)):
            scratch.executemany(sql, batch)
        scratch.execute(
            "DELETE FROM entry WHERE rowid NOT IN (SELECT min(rowid) FROM entry GROUP BY address)"
        )
        repeated = scratch.execute("SELECT changes()").fetchone()[0]
        scratch.execute("CREATE INDEX entry_by_name ON entry (sort_key)")
        scratch.execute("COMMIT")
    except BaseException:  # a refused file, Ctrl-C, a full disk
        scratch.close()
        path.unlink(missing_ok=True)
        raise
    scratch.close()
    return path, int(repeated)


def entries(staged: Path, generation_id: int) -> Iterator[Row]:
    """The staged rows in name order, with their keys."""
    base = key_range(generation_id)[0]
    scratch = sqlite3.connect(staged)
    try:
        cursor = scratch.execute(
            "SELECT bal_type, address, display_name, rpps, profession, specialty,"
            " organisation, city, department, keywords FROM entry ORDER BY sort_key"
        )
        for rank, row in enumerate(cursor, start=1):
            yield (base + rank, *row)
    finally:
        scratch.close()


def fts_table(generation_id: int) -> str:
    """SQLite: the FTS5 table of a generation's keywords."""
    return f"directory_national_fts_{int(generation_id)}"


def write(rows: Iterable[Row], generation_id: int) -> int:
    """Insert a generation's rows in batches, one transaction each, with their search
    index; return how many."""
    sqlite = connection.vendor == "sqlite"
    table = fts_table(generation_id)
    _drop_index(generation_id)
    if sqlite:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({FTS_OPTIONS})")
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")  # noqa: S608
    written = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        with transaction.atomic():
            insert_rows(NationalEntry, COLUMNS, batch)
            if sqlite:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table}(rowid, keywords) VALUES (%s, %s)",  # noqa: S608
                        [(row[0], row[-1]) for row in batch],
                    )
        written += len(batch)
    with transaction.atomic(), connection.cursor() as cursor:
        if sqlite:
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608
        else:
            low, high = key_range(generation_id)
            entries = connection.ops.quote_name(NationalEntry._meta.db_table)
            cursor.execute(
                f"INSERT INTO {WORDS} (generation_id, word) SELECT %s, word FROM ts_stat("  # noqa: S608
                f"'SELECT search_vector FROM {entries} WHERE id > {low} AND id < {high}')",
                [generation_id],
            )
    return written


def _drop_index(generation_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TABLE IF EXISTS {fts_table(generation_id)}")
        else:
            cursor.execute(f"DELETE FROM {WORDS} WHERE generation_id = %s", [generation_id])  # noqa: S608


def delete_rows(generation_id: int) -> None:
    """Delete a generation: its search index at once, then its entries batch by batch
    (short transactions)."""
    _drop_index(generation_id)
    low, high = key_range(generation_id)
    table = connection.ops.quote_name(NationalEntry._meta.db_table)
    last = NationalEntry.objects.filter(id__gt=low, id__lt=high).order_by("-id").first()
    if last is None:
        return
    start = low
    while start < last.id:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id > %s AND id <= %s",  # noqa: S608
                [start, start + BATCH],
            )
        start += BATCH


def settle(*, vacuum: bool = False) -> None:
    """PostgreSQL, after a bulk write or delete: fresh statistics for the planner (a new
    generation is a key range its statistics do not know yet), the GIN index's pending
    list merged, and with `vacuum` (outside any transaction) the deleted rows reclaimed,
    so searches do not wade through them. Nothing to do on SQLite."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(NationalEntry._meta.db_table)
    with connection.cursor() as cursor:
        if vacuum and not connection.in_atomic_block:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute(f"VACUUM (ANALYZE) {WORDS}")
            return
        cursor.execute("SELECT gin_clean_pending_list('directory_national_vector'::regclass)")
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {WORDS}")


def swap(generation: NationalGeneration) -> NationalGeneration | None:
    """Make `generation` the current one (inside the caller's transaction); return the
    generation it replaces, if any."""
    if connection.vendor == "postgresql":
        # Two loads finishing together swap one after the other; readers are not blocked.
        table = connection.ops.quote_name(NationalGeneration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    previous = (
        NationalGeneration.objects.select_for_update()
        .filter(state=NationalGeneration.State.CURRENT)
        .first()
    )
    if previous is not None:
        previous.state = NationalGeneration.State.REPLACED
        previous.save(update_fields=["state"])
    generation.state = NationalGeneration.State.CURRENT
    generation.save()
    return previous


def purge_interrupted() -> int:
    """Delete the entries of loads interrupted long ago (« loading » for more than
    `STALE_AFTER`) and mark them failed; return how many."""
    stale = NationalGeneration.objects.filter(
        state=NationalGeneration.State.LOADING, started_at__lt=timezone.now() - STALE_AFTER
    )
    found = list(stale.values_list("pk", flat=True))
    for pk in found:
        delete_rows(pk)
        NationalGeneration.objects.filter(pk=pk).update(state=NationalGeneration.State.FAILED)
    return len(found)


def current_generation() -> int | None:
    """The generation searches read, or None before the first load."""
    return (
        NationalGeneration.objects.filter(state=NationalGeneration.State.CURRENT)
        .values_list("pk", flat=True)
        .first()
    )
