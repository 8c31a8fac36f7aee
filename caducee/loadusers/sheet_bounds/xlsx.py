"""XLSX: each sheet's declared `<dimension>` and the position of its filled cells.

The sheet XML is streamed out of the zip; canonical cell tags (`<c r="B7" ...>`) are
counted with regular expressions at C speed, anything else is read by expat, exactly as
calamine places cells.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO

from caducee.loadusers.sheet_bounds.common import (
    CHUNK,
    LIMITS,
    MAX_TAG,
    Limits,
    SheetRefused,
    attribute,
    check_extent,
    column_name,
    expat_walk,
    local_name,
    parse_ref,
    unreadable,
    within,
)

_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.\-]*:c[\s/>]")
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')


def _greater(text: str, digits: str, low: str) -> str:
    """A regex of the strings of `digits` greater than `text` (same-length order)."""
    top = digits[-1]
    choices = [f"[{low}-{top}]{{{len(text) + 1},}}"]
    for i, char in enumerate(text):
        if char != top:
            following = digits[digits.index(char) + 1]
            choices.append(f"{text[:i]}[{following}-{top}][{low}-{top}]{{{len(text) - i - 1}}}")
    return "|".join(choices)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _beyond(rows: int, columns: int) -> re.Pattern[bytes]:
    """A `<c` that does not open a canonical cell tag, or one beyond `columns` or `rows`."""
    column = _greater(column_name(columns), _LETTERS, "A") if columns else "[A-Z]+"
    row = _greater(str(rows), "0123456789", "0")
    odd = '<c(?! r="[A-Z]{1,3}[0-9]{1,7}")'
    return re.compile(f'{odd}|<c r="(?:(?:{column})[0-9]|[A-Z]{{1,3}}(?:{row})")'.encode())


_DIMENSION = re.compile(rb"<(?:[\w.\-]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_RELS = "xl/_rels/workbook.xml.rels"


def _xml_items(archive: zipfile.ZipFile, name: str) -> list[tuple[str, dict[str, str]]]:
    """(local tag name, attributes by local name) of a small XML member."""
    items: list[tuple[str, dict[str, str]]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        items.append((local_name(tag), {local_name(k): v for k, v in attrs.items()}))
        if len(items) > 100_000:
            raise unreadable("XLSX")

    with archive.open(name) as member:
        expat_walk(member, start, "XLSX")
    return items


def xlsx_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) of every sheet calamine could read, and of xl/worksheets/."""
    names = set(archive.namelist())
    targets: dict[str, str] = {}
    if _RELS in names:
        for tag, attrs in _xml_items(archive, _RELS):
            if tag == "Relationship" and "Id" in attrs and "Target" in attrs:
                target = attrs["Target"]
                if target.startswith("/"):
                    target = target[1:]
                elif not target.startswith("xl/"):
                    target = "xl/" + target
                targets[attrs["Id"]] = target
    found: list[tuple[str, str]] = []
    if "xl/workbook.xml" in names:
        for tag, attrs in _xml_items(archive, "xl/workbook.xml"):
            target = targets.get(attrs.get("id", ""), "")
            if tag == "sheet" and target in names:
                found.append((attrs.get("name", target), target))
    seen = {member for _, member in found}
    for name in sorted(names):
        if name.startswith("xl/worksheets/") and name.endswith(".xml") and name not in seen:
            found.append((name.rpartition("/")[2], name))
    return found


def check_xlsx(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> None:
    for sheet, member in xlsx_sheets(archive):
        with archive.open(member) as stream:
            declared, rows, columns = _xlsx_extent(stream, archive, member, sheet, limits)
        if declared is not None:
            check_extent(sheet, declared[0], declared[1], limits, declared=True)
        check_extent(sheet, rows, columns, limits, declared=False)


def _blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """The member in pieces that never cut a tag."""
    carry = b""
    while chunk := stream.read(CHUNK):
        block = carry + chunk
        cut = block.rfind(b"<")
        if cut >= 0 and block.find(b">", cut) < 0:
            block, carry = block[:cut], block[cut:]
            if len(carry) > MAX_TAG:
                raise unreadable("XLSX")
        else:
            carry = b""
        yield block
    if carry:
        yield carry


def _xlsx_extent(
    stream: IO[bytes], archive: zipfile.ZipFile, member: str, sheet: str, limits: Limits
) -> tuple[tuple[int, int] | None, int, int]:
    """(declared rows × columns or None, rows, columns reached by the cells).

    Fast path: inside `<sheetData>`, every `<c` must open a canonical tag `<c r="B7"`;
    the cells are then counted without building one object per cell. Empty cells count
    too (a bound). Otherwise, or when the fast path finds the sheet too large, the exact
    reading decides.
    """
    declared: tuple[int, int] | None = None
    rows = columns = 0
    inside = False
    for block in _blocks(stream):
        if b"<!DOCTYPE" in block or b"<!ENTITY" in block:
            raise SheetRefused(
                f"La feuille « {sheet} » contient une déclaration DOCTYPE (entités XML) : "
                "le classeur est refusé. Enregistrez-le de nouveau depuis votre tableur."
            )
        if not inside:
            if declared is None and (dimension := _DIMENSION.search(block)):
                last = dimension.group(1).decode("ascii", "replace").rpartition(":")[2]
                declared = parse_ref(last) or (0, 0)
            opening = block.find(b"<sheetData")
            if opening < 0:
                if b":sheetData" in block:
                    return declared, *_exactly(archive, member)
                continue
            inside, block = True, block[opening:]
        closing = block.find(b"</sheetData>")
        if closing >= 0:
            block = block[:closing]
        if b":c" in block and _PREFIXED_CELL.search(block):
            return declared, *_exactly(archive, member)
        rows = max([rows, *(int(x) for x in _ROW_NUMBER.findall(block))])
        if _beyond(rows, columns).search(block):
            # Some cell is beyond the maxima so far (always in the first block): count
            # this block cell by cell; a tag that is not canonical sends to the exact path.
            letters = _CELL_COLUMN.findall(block)
            if len(letters) != block.count(b"<c"):
                return declared, *_exactly(archive, member)
            columns = max(columns, max(_column_number(x) for x in set(letters)))
            rows = max(rows, max(int(x) for x in set(_CELL_ROW.findall(block))))
        if closing >= 0:
            break
    if not within(rows, columns, limits):
        return declared, *_exactly(archive, member)
    return declared, rows, columns


def _exactly(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    with archive.open(member) as stream:
        return _xlsx_extent_exact(stream)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _xlsx_extent_exact(stream: IO[bytes]) -> tuple[int, int]:
    """Place every cell as calamine does: `r` when present, else after the previous one.

    A cell counts once it has a value, a formula or an inline string (calamine skips
    the others, such as formatted empty cells).
    """
    state = {"row": 0, "column": 0, "rows": 0, "columns": 0}
    pending: list[tuple[int, int]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = local_name(tag)
        if name == "row":
            ref = (attribute(attrs, "r") or "").strip()
            state["row"] = int(ref) if ref.isdigit() else state["row"] + 1
            state["column"] = 0
        elif name == "c":
            cell_ref = attribute(attrs, "r")
            place = parse_ref(cell_ref) if cell_ref else None
            if place is None:
                state["column"] += 1
                place = (max(state["row"], 1), state["column"])
            else:
                state["column"] = place[1]
            pending[:] = [place]
        elif name in {"v", "f", "is"} and pending:
            rows, columns = pending.pop()
            state["rows"] = max(state["rows"], rows)
            state["columns"] = max(state["columns"], columns)

    expat_walk(stream, start, "XLSX")
    return state["rows"], state["columns"]
