"""ODS: content.xml read by expat; row and column repetitions move the position (the ODS
bomb is one cell repeated 16,384 x 1,048,576 times), a filled cell counts with them."""

from __future__ import annotations

import zipfile

from caducee.loadusers.sheet_bounds.common import (
    LIMITS,
    Limits,
    attribute,
    check_extent,
    expat_walk,
    local_name,
    unreadable,
)

_ODS_REPEAT_CAP = 1 << 31


def _repeat(attrs: dict[str, str], name: str) -> int:
    value = (attribute(attrs, name) or "1").strip()
    return min(int(value), _ODS_REPEAT_CAP) if value.isdigit() and int(value) > 0 else 1


class _OdsWalk:
    """Positions of the filled cells of each table, repetitions included."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sheet = "?"
        self.row_end = 0  # rows consumed by the rows seen so far in this table
        self.row_repeat = 1
        self.column = 0  # columns consumed in this row
        self.cell: tuple[int, int] | None = None  # (rows, columns) reached by the open cell
        self.filled = False
        self.depth = 0  # elements open inside the open cell
        self.rows = self.columns = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = local_name(tag)
        if self.cell is not None:
            self.depth += 1
            if name in {"p", "h", "annotation", "a", "span"}:
                self.filled = True  # text in a cell: filled even without a value type
            return
        if name == "table":
            self.sheet = attribute(attrs, "name") or "?"
            self.row_end = self.rows = self.columns = 0
            self.row_repeat = 0
        elif name == "table-row":
            self.row_end += self.row_repeat
            self.row_repeat = _repeat(attrs, "number-rows-repeated")
            self.column = 0
        elif name in {"table-cell", "covered-table-cell"}:
            self.column += _repeat(attrs, "number-columns-repeated")
            self.cell = (self.row_end + self.row_repeat, self.column)
            self.filled = attribute(attrs, "value-type") is not None

    def end(self, tag: str) -> None:
        if self.cell is None:
            return
        if self.depth:
            self.depth -= 1
            return
        if self.filled:
            self.rows = max(self.rows, self.cell[0])
            self.columns = max(self.columns, self.cell[1])
            check_extent(self.sheet, self.rows, self.columns, self.limits, declared=False)
        self.cell = None
        self.filled = False


def check_ods(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> None:
    """Walk content.xml; refuse a table whose filled cells reach beyond the limits."""
    if "content.xml" not in archive.namelist():
        raise unreadable("ODS")
    walk = _OdsWalk(limits)
    with archive.open("content.xml") as member:
        expat_walk(member, walk.start, "ODS", walk.end)
