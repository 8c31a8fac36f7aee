"""IMAP's wire syntax: reading a command (with its literals) into tokens, and writing
strings, lists and sequence sets."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_LITERAL = 64 * 1024 * 1024  # APPEND of a large message; CADUCEE_SMTP_MAX_BYTES applies
MAX_LINE = 64 * 1024


class Atom(str):
    """An unquoted token (a command name, a flag, a sequence set, NIL)."""


class BadCommand(Exception):
    """The command cannot be read: answered BAD."""


Token = Atom | bytes | list["Token"]

_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r?\n$")


def literal_start(line: bytes) -> tuple[int, bool, int] | None:
    """(size, non-synchronising, where the announcement starts) when the line ends with a
    literal's announcement."""
    match = _LITERAL.search(line)
    if match is None:
        return None
    return int(match.group(1)), bool(match.group(2)), match.start()


def tokenize(parts: list[bytes | tuple[bytes]]) -> list[Token]:
    """Tokens of a command: `parts` alternates line text and literals (1-tuples)."""
    text = b""
    literals: list[bytes] = []
    for part in parts:
        if isinstance(part, tuple):
            text += b"\x00" + str(len(literals)).encode() + b"\x00"
            literals.append(part[0])
        else:
            text += part
    text = text.rstrip(b"\r\n")
    stack: list[list[Token]] = [[]]
    i = 0
    while i < len(text):
        c = text[i : i + 1]
        if c == b" ":
            i += 1
        elif c == b"(":
            stack.append([])
            i += 1
        elif c == b")":
            if len(stack) == 1:
                raise BadCommand("parenthese fermante en trop")
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif c == b'"':
            value, i = _quoted(text, i + 1)
            stack[-1].append(value)
        elif c == b"\x00":
            end = text.index(b"\x00", i + 1)
            stack[-1].append(literals[int(text[i + 1 : end])])
            i = end + 1
        else:
            atom, i = _atom(text, i)
            stack[-1].append(atom)
    if len(stack) != 1:
        raise BadCommand("parenthese non fermee")
    return stack[0]


def _quoted(text: bytes, i: int) -> tuple[bytes, int]:
    """A quoted string's value, from just after its opening quote; and where it ends."""
    value = bytearray()
    while True:
        if i >= len(text):
            raise BadCommand("chaine non terminee")
        ch = text[i : i + 1]
        if ch == b"\\" and i + 1 < len(text):
            value += text[i + 1 : i + 2]
            i += 2
        elif ch == b'"':
            return bytes(value), i + 1
        else:
            value += ch
            i += 1


def _atom(text: bytes, i: int) -> tuple[Atom, int]:
    """An atom, brackets included (BODY[HEADER.FIELDS (FROM TO)]<0.100>)."""
    start = i
    depth = 0
    while i < len(text):
        ch = text[i : i + 1]
        if ch == b"[":
            depth += 1
        elif ch == b"]":
            depth -= 1
        elif depth == 0 and ch in (b" ", b"(", b")"):
            break
        i += 1
    return Atom(text[start:i].decode("utf-8", "replace")), i


def text(token: Token) -> str:
    """A token read as text (astring)."""
    if isinstance(token, list):
        raise BadCommand("liste inattendue")
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    return str(token)


def quote(value: str | bytes | None) -> bytes:
    """An nstring: NIL, a quoted string, or a literal when quoting cannot carry it."""
    if value is None:
        return b"NIL"
    data = value.encode("utf-8") if isinstance(value, str) else value
    if any(b > 0x7E or b < 0x20 for b in data) or len(data) > 1000:
        return b"{%d}\r\n" % len(data) + data
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def plist(items: Iterable[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def parse_set(value: str, largest: int) -> list[tuple[int, int]]:
    """A sequence set ("1:4,7,9:*") as ranges; `*` is `largest`."""
    ranges: list[tuple[int, int]] = []
    for piece in value.split(","):
        if not piece:
            raise BadCommand("ensemble de messages vide")
        low, _, high = piece.partition(":")
        try:
            a = largest if low == "*" else int(low)
            b = a if not high else (largest if high == "*" else int(high))
        except ValueError:
            raise BadCommand(f"ensemble de messages illisible : {value}") from None
        if a < 0 or b < 0:
            raise BadCommand(f"ensemble de messages illisible : {value}")
        ranges.append((min(a, b), max(a, b)))
    return ranges


def in_set(number: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= number <= b for a, b in ranges)


def compact(numbers: Iterable[int]) -> str:
    """A sorted set of numbers as "1:3,5"."""
    values = sorted(set(numbers))
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}:{values[j]}")
        i = j + 1
    return ",".join(out)
