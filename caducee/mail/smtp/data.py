"""The DATA of an SMTP transaction read in blocks, with aiosmtpd's semantics.

aiosmtpd 1.4 reads DATA one line at a time (`StreamReader.readuntil(b"\\r\\n")`, a loop
turn and a coroutine step per line: about 165 for a 10 kB message). Here the stream is
read up to the end marker in a few large pieces and the lines are checked afterwards,
with the same answers for the same bytes:

- only CRLF ends a line; the data ends at the first line that is exactly `.` (CRLF . CRLF,
  the first line included: a bare LF never ends the data, SMTP smuggling);
- a line (CRLF and any leading transparency dot included) longer than the protocol's
  `line_length_limit` (1001) makes the answer 500; the lines (CRLF and dots included, not
  the final `.`) adding up to more than `data_size_limit` make it 552; whichever comes
  first in the stream, as aiosmtpd decides it: a line whose bytes before its CRLF exceed
  the limit is refused as too long as soon as it is read, before its size is counted;
  another line's size is counted before its length is checked;
- the data is read to its end in every case (the answer comes after it, RFC 5321 §4.2.5);
  once the answer is known the bytes are no longer kept;
- the transparency dot is removed from each line that starts with a dot (§4.5.2).
"""

from __future__ import annotations

import asyncio
import enum

END = b"\r\n.\r\n"  # the end of the data, its leading CRLF ending the last line
_LINE_START = b"\r\n"  # the data starts where a line starts (right after `DATA` CRLF)


class Verdict(enum.Enum):
    NOMINAL = "nominal"
    TOO_LONG = "too long"  # 500 Line too long
    TOO_MUCH = "too much"  # 552 Too much mail data


def overlap(tail: bytes) -> int:
    """How many bytes at the end of `tail` could be the start of `END`."""
    for size in (4, 3, 2, 1):
        if tail.endswith(END[:size]):
            return size
    return 0


def verdict(data: bytes, line_limit: int, size_limit: int | None, complete: bool) -> Verdict | None:
    """The lines of `data` (the data's bytes read so far; all of them, the final `.` line
    excluded, when `complete`) checked in order as aiosmtpd does. None when that cannot be
    told yet: the line crossing the size limit is not complete and may still be too long."""
    if not size_limit or len(data) <= size_limit:  # no size overrun: only the line lengths
        if not complete:
            return None
        if max(map(len, data.split(b"\r\n"))) + 2 > line_limit:
            return Verdict.TOO_LONG
        return Verdict.NOMINAL
    start = 0
    while start < len(data):
        end = data.find(b"\r\n", start)
        if end == -1:  # a line not complete yet (only when not `complete`)
            if len(data) - start - 1 > line_limit:  # its CRLF still to come: an overrun
                return Verdict.TOO_LONG
            return Verdict.TOO_MUCH if complete else None
        if end - start > line_limit:  # aiosmtpd's stream limit: refused before counted
            return Verdict.TOO_LONG
        if end + 2 > size_limit:
            return Verdict.TOO_MUCH
        if end + 2 - start > line_limit:
            return Verdict.TOO_LONG
        start = end + 2
    return Verdict.NOMINAL


class DataBlock:
    """The bytes of one DATA as they are read: kept while the answer may still be 250."""

    def __init__(self, line_limit: int, size_limit: int | None) -> None:
        self.line_limit, self.size_limit = line_limit, size_limit
        self.parts: list[bytes] = []
        self.read = 0  # bytes read, the end marker's `.` CRLF included once read
        self.tail = _LINE_START  # the last five bytes read (a line start at first)
        self.state = Verdict.NOMINAL

    @property
    def ended(self) -> bool:
        return self.tail == END

    def add(self, piece: bytes) -> None:
        self.read += len(piece)
        self.tail = (self.tail + piece[-5:])[-5:]
        if self.state is not Verdict.NOMINAL:
            return  # answer known: the bytes are dropped as they come
        self.parts.append(piece)
        if self.size_limit and self.read > self.size_limit and not self.ended:
            data = b"".join(self.parts)
            decided = verdict(data, self.line_limit, self.size_limit, complete=False)
            self.parts = [data]
            if decided is not None and decided is not Verdict.NOMINAL:
                self.state = decided
                self.parts = []

    def content(self) -> tuple[Verdict, bytes]:
        """Once ended: the verdict and, when nominal, the data with its dots removed."""
        if self.state is not Verdict.NOMINAL:
            return self.state, b""
        data = b"".join(self.parts)[:-3]  # without the final `.` CRLF
        self.parts = []
        state = verdict(data, self.line_limit, self.size_limit, complete=True)
        assert state is not None
        if state is not Verdict.NOMINAL:
            return state, b""
        if data[:1] == b"." or b"\r\n." in data:
            data = (_LINE_START + data).replace(b"\r\n.", b"\r\n")[2:]
        return Verdict.NOMINAL, data


async def read_data(
    reader: asyncio.StreamReader, line_limit: int, size_limit: int | None
) -> tuple[Verdict, bytes]:
    """Read one DATA from `reader` up to and including its end marker, and nothing after
    it (the client's next command, pipelined, stays in the reader).

    The few first bytes are read exactly, as long as what was read may be the start of the
    end marker; then `readuntil(END)`: when the marker is not in the reader's buffer it
    raises `LimitOverrunError` and the buffer is taken but for its last four bytes, so a
    marker split across two TCP segments is still found whole. Raises
    `ConnectionResetError` when the client closes the connection before the end."""
    block = DataBlock(line_limit, size_limit)
    try:
        while not block.ended and (started := overlap(block.tail)):
            block.add(await reader.readexactly(len(END) - started))
        while not block.ended:
            try:
                block.add(await reader.readuntil(END))
            except asyncio.LimitOverrunError as exc:
                block.add(await reader.read(exc.consumed))
    except asyncio.IncompleteReadError as exc:
        raise ConnectionResetError("connection closed during DATA") from exc
    return block.content()
