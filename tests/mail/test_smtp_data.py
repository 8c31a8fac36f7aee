"""DATA read in blocks (`caducee.mail.smtp.data`) gives what aiosmtpd's line-by-line
reading gives, for the same bytes arriving in the same pieces; without sockets."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caducee.mail.smtp.data import Verdict, read_data

LINE_LIMIT = 1001  # aiosmtpd's SMTP.line_length_limit, also its StreamReader's limit
NEXT = b"QUIT\r\n"  # the client's next command, pipelined after the data

Reading = Callable[[asyncio.StreamReader, int, "int | None"], Awaitable[tuple[Verdict, bytes]]]
Outcome = tuple[tuple[Verdict, bytes], bytes]


async def aiosmtpd_reading(
    reader: asyncio.StreamReader, line_limit: int, size_limit: int | None
) -> tuple[Verdict, bytes]:
    """aiosmtpd 1.4.6's `SMTP.smtp_DATA` reading loop, as it is (the reference)."""
    data: list[bytearray] = []
    num_bytes = 0
    line_fragments: list[bytes] = []
    state = Verdict.NOMINAL
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as e:
            if state == Verdict.NOMINAL:
                state = Verdict.TOO_LONG
            data *= 0
            line = await reader.read(e.consumed)
        if not line_fragments and line == b".\r\n":
            break
        num_bytes += len(line)
        if state == Verdict.NOMINAL and size_limit and num_bytes > size_limit:
            state = Verdict.TOO_MUCH
            data *= 0
        line_fragments.append(line)
        if line.endswith(b"\r\n"):
            if state == Verdict.NOMINAL:
                joined = b"".join(line_fragments)
                if len(joined) > line_limit:
                    state = Verdict.TOO_LONG
                    data *= 0
                else:
                    data.append(bytearray(joined))
            line_fragments *= 0
    if state != Verdict.NOMINAL:
        return state, b""
    for text in data:
        if text.startswith(b"."):
            del text[0]
    return state, b"".join(data)


def run(reading: Reading, pieces: list[bytes], size_limit: int | None) -> Outcome:
    """Feed `pieces` one at a time, each read before the next comes (as TCP segments);
    return the reading's result and what it left in the reader."""

    async def main() -> Outcome:
        reader = asyncio.StreamReader(limit=LINE_LIMIT)
        task = asyncio.ensure_future(reading(reader, LINE_LIMIT, size_limit))
        for piece in pieces:
            reader.feed_data(piece)
            for _ in range(8):  # let the reading take what it can
                await asyncio.sleep(0)
        reader.feed_eof()
        result = await asyncio.wait_for(task, 5)
        return result, await reader.read()

    return asyncio.run(main())


def both(pieces: list[bytes], size_limit: int | None = None) -> tuple[Verdict, bytes]:
    ours = run(read_data, pieces, size_limit)
    assert ours == run(aiosmtpd_reading, pieces, size_limit)
    return ours[0]


def test_it_reads_a_message_and_leaves_the_next_command() -> None:
    stream = b"Subject: x\r\n\r\nline\r\n.\r\n" + NEXT
    assert both([stream]) == (Verdict.NOMINAL, b"Subject: x\r\n\r\nline\r\n")
    assert run(read_data, [stream], None)[1] == NEXT


@pytest.mark.parametrize("cut", range(1, 26))
def test_the_end_marker_split_across_pieces_is_found(cut: int) -> None:
    stream = b"Subject: x\r\n\r\nbody\r\n.\r\n" + NEXT
    assert both([stream[:cut], stream[cut:]]) == (Verdict.NOMINAL, b"Subject: x\r\n\r\nbody\r\n")


def test_an_empty_message_and_messages_of_empty_lines() -> None:
    assert both([b".\r\n", NEXT]) == (Verdict.NOMINAL, b"")
    assert both([b"\r\n.\r\n"]) == (Verdict.NOMINAL, b"\r\n")
    assert both([b"\r", b"\n", b"\r\n", b".", b"\r", b"\n"]) == (Verdict.NOMINAL, b"\r\n\r\n")


def test_transparency_dots_are_removed() -> None:
    stream = b"..first\r\n.\r\n\r\nx\r\n...\r\n..\r\n.\r\n"
    # a line made only of a dot cannot be in the data: ".\r\n" after a line ends it
    assert both([stream]) == (Verdict.NOMINAL, b".first\r\n")
    stream = b"..first\r\nx\r\n...\r\n..\r\n.a\r\n.\r\n"
    assert both([stream]) == (Verdict.NOMINAL, b".first\r\nx\r\n..\r\n.\r\na\r\n")


@pytest.mark.parametrize(
    ("fake_end", "kept"),
    [
        (b"\n.\n", b"\n.\n"),
        (b"\r\n.\n", b"\r\n\n"),  # a line ".<LF>more": its transparency dot removed
        (b"\n.\r\n", b"\n.\r\n"),
        (b"\r.\r\n", b"\r.\r\n"),
    ],
)
def test_a_bare_lf_or_cr_end_is_data(fake_end: bytes, kept: bytes) -> None:
    stream = b"bare\nlines\n" + fake_end + b"more\r\n.\r\n"
    assert both([stream]) == (Verdict.NOMINAL, b"bare\nlines\n" + kept + b"more\r\n")


@pytest.mark.parametrize("length", [998, 999, 1000, 1001, 1002, 1003, 2500])
def test_line_length_at_and_above_the_limit(length: int) -> None:
    line = b"a" * length + b"\r\n"
    verdict, _ = both([b"x\r\n" + line + b"y\r\n.\r\n" + NEXT])
    assert verdict is (Verdict.NOMINAL if length + 2 <= LINE_LIMIT else Verdict.TOO_LONG)
    dotted = b"." + b"a" * (length - 1) + b"\r\n"  # the dot counts
    assert both([dotted + b".\r\n"])[0] is verdict


@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_size_at_and_above_the_limit(extra: int) -> None:
    lines = b"".join(b"%04d line of text\r\n" % i for i in range(100))  # 1,900 bytes
    verdict, content = both([lines + b".\r\n" + NEXT], size_limit=len(lines) + extra)
    assert verdict is (Verdict.TOO_MUCH if extra < 0 else Verdict.NOMINAL)
    assert content == (b"" if extra < 0 else lines)
    stuffed = b"." + lines  # the transparency dot counts too
    assert both([stuffed + b".\r\n"], size_limit=len(lines))[0] is Verdict.TOO_MUCH


def test_too_long_and_too_much_in_stream_order() -> None:
    long_line = b"b" * 1500 + b"\r\n"
    short = b"a" * 50 + b"\r\n"
    # the long line comes first: 500; the size is crossed first: 552
    assert both([long_line + short * 40 + b".\r\n"], 1600)[0] is Verdict.TOO_LONG
    assert both([short * 40 + long_line + b".\r\n"], 1600)[0] is Verdict.TOO_MUCH
    # the same line is too long and crosses the limit: over the stream limit, 500 ...
    assert both([short * 10 + long_line + b".\r\n"], 1000)[0] is Verdict.TOO_LONG
    # ... one byte over the line limit only: its size is counted first, 552
    near = b"c" * 1000 + b"\r\n"
    assert both([short * 10 + near + b".\r\n"], 1000)[0] is Verdict.TOO_MUCH


def test_an_oversized_message_is_read_to_its_end_in_small_pieces() -> None:
    stream = (b"x" * 70 + b"\r\n") * 3000 + b".\r\n" + NEXT
    pieces = [stream[i : i + 700] for i in range(0, len(stream), 700)]
    assert both(pieces, size_limit=10_000) == (Verdict.TOO_MUCH, b"")
    assert run(read_data, pieces, 10_000)[1] == NEXT


def test_a_connection_closed_during_data() -> None:
    with pytest.raises(ConnectionResetError):
        run(read_data, [b"Subject: x\r\n\r\nunfinished\r\n"], None)


_BYTES = st.sampled_from([b"\r\n", b".", b"\r", b"\n", b"a", b"..", b"x" * 700, b"\r\n.\r"])


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_BYTES, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6),
    size_limit=st.one_of(st.none(), st.integers(min_value=1, max_value=3000)),
)
def test_it_agrees_with_aiosmtpd_on_any_bytes_in_any_pieces(
    parts: list[bytes], cuts: list[int], size_limit: int | None
) -> None:
    stream = b"".join(parts) + b"\r\n.\r\n" + NEXT
    marks = sorted({min(cut, len(stream)) for cut in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(marks) if b > a]
    ours = run(read_data, pieces, size_limit)
    assert ours == run(aiosmtpd_reading, pieces, size_limit)
