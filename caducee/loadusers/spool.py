"""The valid lines of an import, kept in file order, on disk beyond a fixed number.

The validation pass stages every valid line (a `NewAccount` or an `AccountUpdate`) until
the writing transaction; for a 1,000,000-line file that was about 1 KB per line held in
memory (issue #19, point 3). A `Spool` keeps the first IN_MEMORY items as a list, as
before (no cost for the files of everyday size), and writes the next ones to an unlinked
temporary file, pickled by frames of FRAME items: memory then stays bounded whatever the
length of the file, and each later pass over the lines (whole-file checks, address plan,
writing) reads the frames back one at a time.

The file holds only what this process wrote there (the import's own values, never the
uploaded bytes), and disappears with the spool (`close`, or the process's end).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Generic, Protocol, TypeVar

IN_MEMORY = 50_000  # items kept as a list before spilling (about 50 MB of new accounts)
FRAME = 1000  # items per pickled frame on disk


class _Line(Protocol):
    @property
    def line(self) -> int: ...


T = TypeVar("T", bound=_Line)


class Spool(Generic[T]):
    """Items appended in order; iterated in that order, as often as needed; `drop` removes
    items by their line number (the whole-file checks reject some valid lines)."""

    def __init__(self, in_memory: int | None = None, frame: int | None = None) -> None:
        self._in_memory = IN_MEMORY if in_memory is None else in_memory  # read at each import
        self._frame = FRAME if frame is None else frame
        self._head: list[T] = []  # the first `in_memory` items
        self._tail: list[T] = []  # items not yet written to disk
        self._file: IO[bytes] | None = None
        self._frames: list[tuple[int, int]] = []  # (offset, size) of each frame on disk
        self._end = 0  # size of the file
        self._count = 0
        self._dropped: set[int] = set()

    def append(self, item: T) -> None:
        self._count += 1
        if len(self._head) < self._in_memory:
            self._head.append(item)
            return
        self._tail.append(item)
        if len(self._tail) >= self._frame:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            # Unbuffered: frames are read back with `os.pread` (two passes may interleave).
            self._file = tempfile.TemporaryFile(prefix="caducee-import-", buffering=0)  # noqa: SIM115
        data = pickle.dumps(self._tail, protocol=pickle.HIGHEST_PROTOCOL)
        offset = self._end
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) or 0 :]
        self._end += len(data)
        self._frames.append((offset, len(data)))
        self._tail = []

    @property
    def spilled(self) -> int:
        """How many items are on disk (tests, benchmark)."""
        return len(self._frames) * self._frame

    def __len__(self) -> int:
        return self._count - len(self._dropped)

    def __bool__(self) -> bool:
        return len(self) > 0

    def drop(self, lines: Iterable[int]) -> None:
        """Forget the items of these lines (each must be an item of this spool)."""
        self._dropped.update(lines)

    def _all(self) -> Iterator[T]:
        yield from self._head
        for offset, size in self._frames:
            assert self._file is not None
            data = os.pread(self._file.fileno(), size, offset)
            frame: list[T] = pickle.loads(data)  # noqa: S301 (our own file, our own values)
            yield from frame
        yield from self._tail

    def __iter__(self) -> Iterator[T]:
        if not self._dropped:
            return self._all()
        dropped = self._dropped
        return (item for item in self._all() if item.line not in dropped)

    def batches(self, size: int) -> Iterator[list[T]]:
        """The items in lists of `size` (the last one shorter)."""
        batch: list[T] = []
        for item in self:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
