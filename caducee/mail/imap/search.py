"""SEARCH keys (RFC 3501 §6.4.4) evaluated over the selected folder's rows; the text keys
read the stored message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from caducee.mail import store
from caducee.mail.imap import wire
from caducee.mail.imap.parts import parse
from caducee.mail.imap.wire import Atom, BadCommand, Token


@dataclass
class Row:
    """One message of the selected folder, as the session knows it."""

    id: int
    uid: int
    seen: bool
    flagged: bool
    answered: bool
    deleted: bool
    size: int
    received_at: dt.datetime
    path: str
    date: dt.datetime | None

    def flags(self, draft: bool) -> tuple[str, ...]:
        found = []
        if self.seen:
            found.append("\\Seen")
        if self.flagged:
            found.append("\\Flagged")
        if self.answered:
            found.append("\\Answered")
        if self.deleted:
            found.append("\\Deleted")
        if draft:
            found.append("\\Draft")
        return tuple(found)


Test = Callable[[int, Row], bool]  # (sequence number, row) -> matches
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def parse_date(value: str) -> dt.date:
    try:
        day, month, year = value.split("-")
        return dt.date(int(year), MONTHS.index(month.lower()) + 1, int(day))
    except (ValueError, IndexError):
        raise BadCommand(f"date illisible : {value} (forme 7-Dec-2026)") from None


class _Text:
    """The message's bytes, read once per row when a text key needs them."""

    def __init__(self) -> None:
        self.cache: dict[int, bytes] = {}

    def raw(self, row: Row) -> bytes:
        if row.id not in self.cache:
            try:
                self.cache[row.id] = store.read(row.path)
            except (OSError, ValueError):
                self.cache[row.id] = b""
        return self.cache[row.id]

    def header(self, row: Row, name: str) -> str:
        node = parse(self.raw(row))
        return " ".join(str(v) for v in node.headers.get_all(name) or [])


def compile_keys(tokens: list[Token], largest_msn: int, largest_uid: int) -> Test:
    """The tests of a search program (implicitly ANDed)."""
    text = _Text()
    items = list(tokens)
    if items and isinstance(items[0], Atom) and items[0].upper() == "CHARSET":
        items = items[2:]  # UTF-8 and US-ASCII are both read as UTF-8
    tests: list[Test] = []
    while items:
        tests.append(_one(items, largest_msn, largest_uid, text))
    return lambda n, row: all(t(n, row) for t in tests)


def _arg(items: list[Token]) -> str:
    if not items:
        raise BadCommand("argument de recherche manquant")
    return wire.text(items.pop(0))


def _one(items: list[Token], largest_msn: int, largest_uid: int, text: _Text) -> Test:
    token = items.pop(0)
    if isinstance(token, list):
        inner = compile_keys(token, largest_msn, largest_uid)
        return inner
    key = wire.text(token).upper()
    if key in SIMPLE:
        return SIMPLE[key]
    if key == "KEYWORD":
        _arg(items)
        return lambda n, r: False
    if key == "UNKEYWORD":
        _arg(items)
        return lambda n, r: True
    if key == "NOT":
        inner = _one(items, largest_msn, largest_uid, text)
        return lambda n, r: not inner(n, r)
    if key == "OR":
        left = _one(items, largest_msn, largest_uid, text)
        right = _one(items, largest_msn, largest_uid, text)
        return lambda n, r: left(n, r) or right(n, r)
    if key in {"FROM", "TO", "CC", "BCC", "SUBJECT", "HEADER", "BODY", "TEXT"}:
        return _textual(key, items, text)
    if key in {"SINCE", "BEFORE", "ON"}:
        day = parse_date(_arg(items))
        return _dated(key, day, lambda r: r.received_at.date())
    if key in {"SENTSINCE", "SENTBEFORE", "SENTON"}:
        day = parse_date(_arg(items))
        return _dated(key[4:], day, lambda r: (r.date or r.received_at).date())
    if key in {"LARGER", "SMALLER"}:
        try:
            size = int(_arg(items))
        except ValueError:
            raise BadCommand("taille illisible") from None
        if key == "LARGER":
            return lambda n, r: r.size > size
        return lambda n, r: r.size < size
    if key == "UID":
        ranges = wire.parse_set(_arg(items), largest_uid)
        return lambda n, r: wire.in_set(r.uid, ranges)
    if key[:1].isdigit() or key[:1] == "*":
        ranges = wire.parse_set(key, largest_msn)
        return lambda n, r: wire.in_set(n, ranges)
    raise BadCommand(f"critere de recherche inconnu : {key}")


SIMPLE: dict[str, Test] = {
    "ALL": lambda n, r: True,
    "ANSWERED": lambda n, r: r.answered,
    "UNANSWERED": lambda n, r: not r.answered,
    "DELETED": lambda n, r: r.deleted,
    "UNDELETED": lambda n, r: not r.deleted,
    "FLAGGED": lambda n, r: r.flagged,
    "UNFLAGGED": lambda n, r: not r.flagged,
    "SEEN": lambda n, r: r.seen,
    "UNSEEN": lambda n, r: not r.seen,
    "NEW": lambda n, r: False,  # no \\Recent: every message is "old"
    "RECENT": lambda n, r: False,
    "OLD": lambda n, r: True,
    "DRAFT": lambda n, r: False,
    "UNDRAFT": lambda n, r: True,
}


def _textual(key: str, items: list[Token], text: _Text) -> Test:
    if key in {"FROM", "TO", "CC", "BCC", "SUBJECT"}:
        wanted = _arg(items).lower()
        return lambda n, r: wanted in text.header(r, key).lower()
    if key == "HEADER":
        name, wanted = _arg(items), _arg(items).lower()
        return lambda n, r: (
            wanted in text.header(r, name).lower()
            or (not wanted and bool(parse(text.raw(r)).headers.get(name)))
        )
    needle = _arg(items).lower().encode()
    if key == "BODY":
        return lambda n, r: needle in parse(text.raw(r)).body.lower()
    return lambda n, r: needle in text.raw(r).lower()


def _dated(kind: str, day: dt.date, of: Callable[[Row], dt.date]) -> Test:
    if kind == "SINCE":
        return lambda n, r: of(r) >= day
    if kind == "BEFORE":
        return lambda n, r: of(r) < day
    return lambda n, r: of(r) == day
