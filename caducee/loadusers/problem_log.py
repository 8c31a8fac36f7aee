"""The problems of an import, in line order, on disk beyond a fixed number.

Every problem found is a row of the report (`ReportRow`, about 0.5 KB); a 1,000,000-line
file with faults found 167,126 of them, all held in memory until the end (issue #19,
point 3). A `ProblemLog` keeps the first IN_MEMORY rows as a list, as before (no cost for
the files of everyday size); beyond, it sorts them by line (stable) and writes them as
one run to an unlinked temporary file, pickled by frames of FRAME rows, then starts a new
list. Reading merges the runs and the list (`heapq.merge`, one frame per run in memory):
the rows come out sorted by line, in order of finding for one line, exactly as
`sorted(rows, key=line)` over the whole list gives them.

It is read like the list it replaces (`len`, iteration, an index, `==` with a list); the
file holds only the report's own rows and disappears with the log (`close`, or when the
log is garbage collected).
"""

from __future__ import annotations

import heapq
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import IO, Any, overload

from caducee.loadusers.report import ReportRow

IN_MEMORY = 20_000  # rows kept as a list before a run is written (about 10 MB)
FRAME = 1000  # rows per pickled frame on disk

_LINE = attrgetter("line")
Run = list[tuple[int, int]]  # (offset, size) of each frame of a run


class ProblemLog(Sequence[ReportRow]):
    """Rows appended in any order; read in line order (stable), as often as needed."""

    def __init__(self, rows: Iterable[ReportRow] = (), *, in_memory: int | None = None) -> None:
        self._in_memory = IN_MEMORY if in_memory is None else in_memory  # read at each import
        self._frame = FRAME
        self._rows: list[ReportRow] = []
        self._sorted = True  # `_rows` is in line order
        self._file: IO[bytes] | None = None
        self._runs: list[Run] = []
        self._end = 0
        self._count = 0
        self.extend(rows)

    def append(self, row: ReportRow) -> None:
        if self._rows and row.line < self._rows[-1].line:
            self._sorted = False
        self._rows.append(row)
        self._count += 1
        if len(self._rows) > self._in_memory:
            self._spill()

    def extend(self, rows: Iterable[ReportRow]) -> None:
        for row in rows:
            self.append(row)

    def __iadd__(self, rows: Iterable[ReportRow]) -> ProblemLog:
        self.extend(rows)
        return self

    def _in_order(self) -> list[ReportRow]:
        if not self._sorted:
            self._rows.sort(key=_LINE)  # stable: in order of finding, per line
            self._sorted = True
        return self._rows

    def _spill(self) -> None:
        if self._file is None:
            # Unbuffered: frames are read back with `os.pread` (two readings may interleave).
            self._file = tempfile.TemporaryFile(prefix="caducee-report-", buffering=0)  # noqa: SIM115
        rows = self._in_order()
        run: Run = []
        for start in range(0, len(rows), self._frame):
            frame = [_fields(row) for row in rows[start : start + self._frame]]
            data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[self._file.write(view) or 0 :]
            run.append((self._end, len(data)))
            self._end += len(data)
        self._runs.append(run)
        self._rows = []

    def _read(self, run: Run) -> Iterator[ReportRow]:
        assert self._file is not None
        for offset, size in run:
            data = os.pread(self._file.fileno(), size, offset)
            frame: list[tuple[Any, ...]] = pickle.loads(data)  # noqa: S301 (our own file)
            for fields in frame:
                yield ReportRow(*fields)

    @property
    def on_disk(self) -> int:
        """How many rows are on disk (tests, benchmark)."""
        return self._count - len(self._rows)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ReportRow]:
        rows = self._in_order()
        if not self._runs:
            return iter(rows)
        # heapq.merge is stable: for one line, the earlier run's rows come first.
        return heapq.merge(*(self._read(run) for run in self._runs), list(rows), key=_LINE)

    @overload
    def __getitem__(self, index: int) -> ReportRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[ReportRow]: ...
    def __getitem__(self, index: int | slice) -> ReportRow | list[ReportRow]:
        if not self._runs:
            return self._in_order()[index]
        return list(self)[index]  # tests and small reads only

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ProblemLog | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return f"ProblemLog({list(self)!r})"

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fields(row: ReportRow) -> tuple[Any, ...]:
    return (row.line, row.column, row.email, row.severity, row.code, row.message, row.value)
