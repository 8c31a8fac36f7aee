"""Loading the RPPS extraction: staged on disk, grouped by RPPS, swapped in at once.

Memory stays flat whatever the file's size:

1. the usable lines go, in batches, into a scratch SQLite file (a temporary file next to
   the system's other temporary files, no journal: it is thrown away);
2. they are read back ordered by RPPS and line, so one person's activity lines come
   together: one `RppsProfessional` row per RPPS, with the names of its first line and
   the professions of all its lines (each code once, in file order);
3. those rows are written under a new extraction in state « loading », in batches of
   `BATCH` rows, each in its own short transaction (COPY on PostgreSQL, executemany on
   SQLite): other writers of a SQLite database wait for one batch at most, never for the
   whole load, and no reader looks at an extraction that is not the current one;
4. `swap` makes it current and the previous one « replaced » in one transaction; then
   the replaced rows are deleted, batch by batch.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from caducee.core.bulk import insert_rows
from caducee.referentials.models import RppsExtraction, RppsProfessional
from caducee.referentials.rpps_file import Activity

BATCH = 20_000
# A load still « loading » after this long was interrupted (killed process, lost server):
# a whole load takes minutes. Its rows are deleted by the next load.
STALE_AFTER = timedelta(hours=6)
_COLUMNS = ("extraction_id", "rpps", "last_name", "first_name", "professions")
Row = tuple[int, str, str, str, str]


def stage(activities: Iterable[Activity], directory: Path | None = None) -> Path:
    """Write the activities into a scratch SQLite file; return its path (the caller
    deletes it)."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed at once, deleted by the caller
        prefix="caducee-rpps-", suffix=".sqlite3", dir=directory, delete=False
    )
    handle.close()
    path = Path(handle.name)
    scratch = sqlite3.connect(path, isolation_level=None)
    try:
        scratch.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;"
            "CREATE TABLE activity (line INTEGER PRIMARY KEY, rpps TEXT, last_name TEXT,"
            " first_name TEXT, code TEXT, label TEXT);"
        )
        sql = "INSERT INTO activity VALUES (?, ?, ?, ?, ?, ?)"
        rows = (
            (a.line, a.rpps, a.last_name, a.first_name, a.profession_code, a.profession_label)
            for a in activities
        )
        scratch.execute("BEGIN")
        while batch := list(itertools.islice(rows, BATCH)):
            scratch.executemany(sql, batch)
        scratch.execute("CREATE INDEX activity_by_rpps ON activity (rpps, line)")
        scratch.execute("COMMIT")
    except BaseException:  # a refused file (Invalid from the reader), Ctrl-C, a full disk
        scratch.close()
        path.unlink(missing_ok=True)
        raise
    scratch.close()
    return path


def professionals(staged: Path, extraction_id: int) -> Iterator[Row]:
    """One row per RPPS from the scratch file, in RPPS order."""
    scratch = sqlite3.connect(staged)
    try:
        cursor = scratch.execute(
            "SELECT rpps, last_name, first_name, code, label FROM activity ORDER BY rpps, line"
        )
        for rpps, lines in itertools.groupby(cursor, key=lambda row: row[0]):
            labels: dict[str, str] = {}
            first: tuple[str, str, str, str, str] | None = None
            for line in lines:
                first = first or line
                labels.setdefault(line[3], line[4])
            assert first is not None  # a group has at least one line
            professions = "|".join(f"{code}={label}" for code, label in labels.items())
            yield (extraction_id, rpps, first[1], first[2], professions[:500])
    finally:
        scratch.close()


def write(rows: Iterable[Row]) -> int:
    """Insert the rows in batches, one transaction each; return how many."""
    written = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        with transaction.atomic():
            insert_rows(RppsProfessional, _COLUMNS, batch)
        written += len(batch)
    return written


def delete_rows(extraction_id: int) -> None:
    """Delete an extraction's professionals, batch by batch (short transactions)."""
    table = connection.ops.quote_name(RppsProfessional._meta.db_table)
    rows = RppsProfessional.objects.filter(extraction_id=extraction_id).order_by("id")
    while True:
        last = rows.values_list("id", flat=True)[BATCH - 1 : BATCH].first()
        with transaction.atomic(), connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"DELETE FROM {table} WHERE extraction_id = %s", [extraction_id])  # noqa: S608
                return
            cursor.execute(
                f"DELETE FROM {table} WHERE extraction_id = %s AND id <= %s",  # noqa: S608
                [extraction_id, last],
            )


def swap(extraction: RppsExtraction) -> RppsExtraction | None:
    """Make `extraction` the current one (inside the caller's transaction); return the
    extraction it replaces, if any."""
    if connection.vendor == "postgresql":
        # Two loads finishing together swap one after the other (SQLite serialises
        # writers anyway); readers are not blocked by this lock mode.
        table = connection.ops.quote_name(RppsExtraction._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    previous = (
        RppsExtraction.objects.select_for_update()
        .filter(state=RppsExtraction.State.CURRENT)
        .first()
    )
    if previous is not None:
        previous.state = RppsExtraction.State.REPLACED
        previous.save(update_fields=["state"])
    extraction.state = RppsExtraction.State.CURRENT
    extraction.save()
    return previous


def purge_interrupted() -> int:
    """Delete the rows of loads interrupted long ago (state « loading » for more than
    `STALE_AFTER`) and mark them failed; return how many."""
    stale = RppsExtraction.objects.filter(
        state=RppsExtraction.State.LOADING, started_at__lt=timezone.now() - STALE_AFTER
    )
    found = list(stale.values_list("pk", flat=True))
    for pk in found:
        delete_rows(pk)
        RppsExtraction.objects.filter(pk=pk).update(state=RppsExtraction.State.FAILED)
    return len(found)
