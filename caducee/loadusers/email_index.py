"""The addresses of an import's file: where each first appears and, once its line is valid,
its mailbox type.

The validation pass asks, line by line, whether the line's address appeared on an earlier
line (a duplicate is rejected); the whole-file checks ask the type of the valid lines
named as connection accounts. Up to IN_MEMORY addresses this is one dictionary; the
next ones go to a private temporary SQLite database (the standard library's `sqlite3`,
never the application's database; SQLite keeps it in a few megabytes of cache and a
temporary file it deletes when the index is closed), read and written once per chunk of
lines (`prefetch`): memory then stays bounded whatever the length of the file (issue
#19, point 3).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable

from caducee.accounts.models import AccountType

IN_MEMORY = 200_000  # addresses held in a dictionary (about 100 bytes each)
QUERY_CHUNK = 900  # addresses per query (under SQLite's limit of parameters)
_KINDS: tuple[str, ...] = ("", *AccountType.values)  # code 0: no valid line (yet)
_CODE = {kind: code for code, kind in enumerate(_KINDS)}


class EmailIndex:
    """Address -> first line, and the type of its line once valid (one integer each:
    `line << 3 | type code`)."""

    def __init__(self, in_memory: int | None = None) -> None:
        self._limit = IN_MEMORY if in_memory is None else in_memory  # read at each import
        self._memory: dict[str, int] = {}
        self._db: sqlite3.Connection | None = None
        self._cached: dict[str, int] = {}  # read from disk for the chunk being checked
        self._added: dict[str, int] = {}  # new addresses, written at the next `prefetch`
        self._kinds: dict[str, int] = {}  # type codes of addresses on disk, likewise

    # --- The validation pass, chunk by chunk ---------------------------------------------

    def prefetch(self, emails: Collection[str]) -> None:
        """Before a chunk's lines are checked: what the disk holds about their addresses
        (one query), after writing what the previous chunks added."""
        self._write()
        self._cached = {}
        if self._db is not None:
            self._cached = self._read(emails)

    def first_line(self, email: str) -> int | None:
        entry = self._memory.get(email)
        if entry is None:
            entry = self._added.get(email)
        if entry is None:
            entry = self._cached.get(email)
        return None if entry is None else entry >> 3

    def add(self, email: str, line: int) -> None:
        """The first line of an address (of this chunk, or one `prefetch` was told of)."""
        if len(self._memory) < self._limit:
            self._memory[email] = line << 3
        else:
            self._added[email] = line << 3

    def set_kind(self, email: str, kind: str) -> None:
        """The address's line is valid (type given), or no more (type "")."""
        code = _CODE[kind]
        entry = self._memory.get(email)
        if entry is not None:
            self._memory[email] = entry & ~7 | code
        elif email in self._added:
            self._added[email] = self._added[email] & ~7 | code
        else:
            self._kinds[email] = code

    # --- The whole-file checks --------------------------------------------------------

    def kinds(self, emails: Iterable[str]) -> dict[str, str]:
        """Address -> type, for those of `emails` on a valid line."""
        wanted = set(emails)
        self._write()
        found = {e: entry for e in wanted if (entry := self._memory.get(e)) is not None}
        if self._db is not None:
            found.update(self._read(wanted - set(found)))
        return {e: _KINDS[entry & 7] for e, entry in found.items() if entry & 7}

    def first_lines(self, emails: Iterable[str]) -> dict[str, int]:
        """Address -> first line, for those of `emails` in the file."""
        wanted = set(emails)
        self._write()
        found = {e: entry for e in wanted if (entry := self._memory.get(e)) is not None}
        if self._db is not None:
            found.update(self._read(wanted - set(found)))
        return {e: entry >> 3 for e, entry in found.items()}

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- The temporary database -------------------------------------------------------

    def _write(self) -> None:
        if not self._added and not self._kinds:
            return
        if self._db is None:
            # "": a private temporary database, deleted by SQLite when it is closed.
            self._db = sqlite3.connect("")
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("PRAGMA cache_size = -8000")  # 8 MB
            self._db.execute(
                "CREATE TABLE seen (email TEXT PRIMARY KEY, entry INTEGER NOT NULL) WITHOUT ROWID"
            )
        with self._db:
            self._db.executemany("INSERT INTO seen VALUES (?, ?)", self._added.items())
            self._db.executemany(
                "UPDATE seen SET entry = (entry & ~7) | ? WHERE email = ?",
                ((code, email) for email, code in self._kinds.items()),
            )
        self._added = {}
        self._kinds = {}

    def _read(self, emails: Iterable[str]) -> dict[str, int]:
        assert self._db is not None
        wanted = list(emails)
        found: dict[str, int] = {}
        for start in range(0, len(wanted), QUERY_CHUNK):
            chunk = wanted[start : start + QUERY_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(
                    f"SELECT email, entry FROM seen WHERE email IN ({marks})",  # noqa: S608
                    chunk,
                )
            )
        return found
