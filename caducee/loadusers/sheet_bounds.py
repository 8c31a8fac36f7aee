"""How large a workbook's sheets are, read before any spreadsheet library sees the file.

python-calamine builds a sheet as one dense array from its first to its last filled cell
(32 bytes a cell): two cells, A1 and XFD1048576, ask for about 550 GB and the process
aborts (a Rust allocation failure, not a Python exception). So every sheet is measured
first, from what the file declares (XLSX `<dimension>`, XLS DIMENSIONS record) and from
the position of every filled cell, and a sheet beyond LIMITS is refused with a French
message naming it. Nothing here builds anything proportional to the sheet's area.

- XLSX: the sheet XML is streamed out of the zip (the zip checks of reading.py already
  bound its inflated size). Files written by Excel, LibreOffice, openpyxl, XlsxWriter or
  our export have canonical cell tags (`<c r="B7" ...>`), counted with regular
  expressions at C speed; anything else (no `r`, prefixes, odd quoting) is read by expat,
  exactly as calamine places cells. A DOCTYPE is refused.
- ODS: content.xml is read by expat; `table:number-rows-repeated` and
  `table:number-columns-repeated` move the position (they are the ODS bomb: one cell
  repeated 16,384 × 1,048,576 times), a filled cell counts with its repetitions.
- XLS: the compound file (OLE2) is walked with bounded loops to the Workbook stream, whose
  BIFF records give each sheet's DIMENSIONS and every cell's row and column.

Django-free on purpose: this module runs in the child process that parses uploads
(`sheet_process.py`).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

MAX_ROWS = 500_001  # 500,000 lines and the header line
MAX_COLUMNS = 200
MAX_CELLS = 10_000_000  # rows × columns of the sheet's extent: what calamine allocates
CHUNK = 1024 * 1024
MAX_TAG = 64 * 1024  # a start tag longer than this is not a spreadsheet's


class SheetRefused(Exception):
    """The workbook cannot be read safely; `message` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cells: int = MAX_CELLS


LIMITS = Limits()


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def column_name(number: int) -> str:
    """1 -> A, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _limits_text(limits: Limits) -> str:
    return (
        f"la limite est de {_number(limits.rows)} lignes, {_number(limits.columns)} colonnes "
        f"et {_number(limits.cells)} cellules (lignes × colonnes)"
    )


def check_extent(sheet: str, rows: int, columns: int, limits: Limits, *, declared: bool) -> None:
    """Refuse a sheet whose extent (from A1) is beyond the limits."""
    if _within(rows, columns, limits):
        return
    verb = "déclare" if declared else "contient"
    corner = f"{column_name(columns)}{rows}"
    raise SheetRefused(
        f"Le fichier {verb} une feuille « {sheet} » de {_number(rows)} lignes × "
        f"{_number(columns)} colonnes (jusqu'à la cellule {corner}) ; {_limits_text(limits)}. "
        "Supprimez les lignes et colonnes en trop (ou copiez les seules cellules utiles dans "
        "un nouveau classeur), ou découpez le fichier."
    )


def _unreadable(kind: str) -> SheetRefused:
    return SheetRefused(
        f"Classeur {kind} endommagé ou illisible : ouvrez-le et enregistrez-le de nouveau "
        "depuis votre tableur (XLSX ou CSV)."
    )


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def parse_ref(text: str) -> tuple[int, int] | None:
    """'B7' -> (row 7, column 2); None when not a cell reference."""
    found = _REF.fullmatch(text.strip())
    if found is None:
        return None
    column = 0
    for letter in found.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


# --- XLSX ------------------------------------------------------------------------------

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
        items.append((_local(tag), {_local(k): v for k, v in attrs.items()}))
        if len(items) > 100_000:
            raise _unreadable("XLSX")

    with archive.open(name) as member:
        _expat(member, start, "XLSX")
    return items


def _local(name: str) -> str:
    return name.rpartition(":")[2].rpartition("}")[2]


Start = Callable[[str, dict[str, str]], None]


def _expat(
    member: IO[bytes], start: Start, kind: str, end: Callable[[str], None] | None = None
) -> None:
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end

    def no_doctype(*_: object) -> None:
        raise SheetRefused(
            "Le classeur contient une déclaration DOCTYPE (entités XML) : il est refusé. "
            "Enregistrez-le de nouveau depuis votre tableur."
        )

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    try:
        while chunk := member.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _unreadable(kind) from exc


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
                raise _unreadable("XLSX")
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
    if not _within(rows, columns, limits):
        return declared, *_exactly(archive, member)
    return declared, rows, columns


def _within(rows: int, columns: int, limits: Limits) -> bool:
    return rows <= limits.rows and columns <= limits.columns and rows * columns <= limits.cells


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
        name = _local(tag)
        if name == "row":
            ref = (_attribute(attrs, "r") or "").strip()
            state["row"] = int(ref) if ref.isdigit() else state["row"] + 1
            state["column"] = 0
        elif name == "c":
            cell_ref = _attribute(attrs, "r")
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

    _expat(stream, start, "XLSX")
    return state["rows"], state["columns"]


# --- ODS -------------------------------------------------------------------------------

_ODS_REPEAT_CAP = 1 << 31


def _attribute(attrs: dict[str, str], name: str) -> str | None:
    return next((v for k, v in attrs.items() if _local(k) == name), None)


def _repeat(attrs: dict[str, str], name: str) -> int:
    value = (_attribute(attrs, name) or "1").strip()
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
        name = _local(tag)
        if self.cell is not None:
            self.depth += 1
            if name in {"p", "h", "annotation", "a", "span"}:
                self.filled = True  # text in a cell: filled even without a value type
            return
        if name == "table":
            self.sheet = _attribute(attrs, "name") or "?"
            self.row_end = self.rows = self.columns = 0
            self.row_repeat = 0
        elif name == "table-row":
            self.row_end += self.row_repeat
            self.row_repeat = _repeat(attrs, "number-rows-repeated")
            self.column = 0
        elif name in {"table-cell", "covered-table-cell"}:
            self.column += _repeat(attrs, "number-columns-repeated")
            self.cell = (self.row_end + self.row_repeat, self.column)
            self.filled = _attribute(attrs, "value-type") is not None

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
        raise _unreadable("ODS")
    walk = _OdsWalk(limits)
    with archive.open("content.xml") as member:
        _expat(member, walk.start, "ODS", walk.end)


# --- XLS -------------------------------------------------------------------------------

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_ONE_CELL = {0x0203, 0x00FD, 0x027E, 0x0204, 0x0006, 0x0205, 0x00D6, 0x0201}
_MULRK, _MULBLANK, _DIMENSIONS, _BOF, _BOUNDSHEET = 0x00BD, 0x00BE, 0x0200, 0x0809, 0x0085


def looks_like_compound(data: bytes) -> bool:
    """A compound file (XLS) header that could be read: a cheap check of the first 512 bytes."""
    if len(data) < 1024 or not data.startswith(CFB_MAGIC):
        return False
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    byte_order = data[0x1C:0x1E]
    return byte_order == b"\xfe\xff" and shift in (9, 12) and mini_shift == 6


class _Compound:
    """Just enough of the compound file format (MS-CFB) to read one stream, bounded."""

    def __init__(self, data: bytes) -> None:
        if not looks_like_compound(data):
            raise _unreadable("XLS")
        self.data = data
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        self.size = 1 << shift
        self.sectors = max(0, (len(data) - 512) // self.size)
        fat_count, directory, _, self.cutoff, mini_fat, mini_count, difat, difat_count = (
            struct.unpack_from("<IIIIIIII", data, 0x2C)
        )
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < self.sectors]
        per = self.size // 4 - 1
        for _ in range(min(difat_count, self.sectors)):
            if difat >= self.sectors:
                break
            values = struct.unpack_from(f"<{per + 1}I", data, self._offset(difat))
            fat_sectors.extend(s for s in values[:per] if s < self.sectors)
            difat = values[per]
        self.fat: list[int] = []
        for sector in fat_sectors[: max(fat_count, 1)]:
            self.fat.extend(struct.unpack_from(f"<{self.size // 4}I", data, self._offset(sector)))
        self.directory = self._chain_bytes(directory, self.fat, self._sector)
        root = self._entries()[0] if self._entries() else None
        self.mini_stream = b""
        self.mini_fat: list[int] = []
        if root is not None and mini_count:
            self.mini_stream = self._chain_bytes(root[2], self.fat, self._sector)[: root[3]]
            raw = self._chain_bytes(mini_fat, self.fat, self._sector)
            self.mini_fat = list(struct.unpack_from(f"<{len(raw) // 4}I", raw))

    def _offset(self, sector: int) -> int:
        offset: int = (sector + 1) * self.size
        if offset + self.size > len(self.data):
            raise _unreadable("XLS")
        return offset

    def _sector(self, sector: int) -> bytes:
        offset = self._offset(sector)
        return self.data[offset : offset + self.size]

    def _mini_sector(self, sector: int) -> bytes:
        return self.mini_stream[sector * 64 : sector * 64 + 64]

    @staticmethod
    def _chain_bytes(start: int, fat: list[int], read: Callable[[int], bytes]) -> bytes:
        parts: list[bytes] = []
        sector = start
        for _ in range(len(fat) + 1):  # a chain visits each sector once at most
            if sector in (_END, _FREE) or sector >= len(fat):
                break
            parts.append(read(sector))
            sector = fat[sector]
        else:
            raise _unreadable("XLS")  # a loop in the chain
        return b"".join(parts)

    def _entries(self) -> list[tuple[str, int, int, int]]:
        """(name, type, start sector, size) of each directory entry."""
        entries = []
        for offset in range(0, len(self.directory) - 127, 128):
            length = min(struct.unpack_from("<H", self.directory, offset + 64)[0], 64)
            name = self.directory[offset : offset + max(length - 2, 0)].decode(
                "utf-16-le", "replace"
            )
            kind = self.directory[offset + 66]
            start, size = struct.unpack_from("<IQ", self.directory, offset + 116)
            if self.size == 512:
                size &= 0xFFFFFFFF
            entries.append((name, kind, start, size))
        return entries

    def streams(self, names: tuple[str, ...]) -> list[bytes]:
        """Every stream of one of these names (case ignored, as readers do)."""
        found = []
        for name, kind, start, size in self._entries():
            if kind == 2 and name.lower() in names:
                if size < self.cutoff:
                    data = self._chain_bytes(start, self.mini_fat, self._mini_sector)
                else:
                    data = self._chain_bytes(start, self.fat, self._sector)
                found.append(data[:size])
        if not found:
            raise _unreadable("XLS")
        return found


def check_xls(data: bytes, limits: Limits = LIMITS) -> None:
    """Every sheet of the BIFF Workbook stream(s): DIMENSIONS and the cells' positions."""
    for stream in _Compound(data).streams(("workbook", "book")):
        _check_biff(stream, limits)


def _check_biff(stream: bytes, limits: Limits) -> None:
    names: dict[int, str] = {}
    sheet, rows, columns = "", 0, 0
    position = 0
    end = len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + length]
        if kind == _BOUNDSHEET and len(body) >= 8:
            offset, _, size, wide = struct.unpack_from("<IHBB", body)
            text = body[8 : 8 + size * (2 if wide & 1 else 1)]
            names[offset] = text.decode("utf-16-le" if wide & 1 else "latin-1", "replace")
        elif kind == _BOF:
            check_extent(sheet, rows, columns, limits, declared=False)
            sheet, rows, columns = names.get(position, f"n° {len(names)}"), 0, 0
        elif kind == _DIMENSIONS and len(body) >= 12:
            last_row, _, last_column = struct.unpack_from("<IHH", body, 4)
            check_extent(sheet, last_row, last_column, limits, declared=True)
        elif kind in _ONE_CELL and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in (_MULRK, _MULBLANK) and len(body) >= 6:
            row = struct.unpack_from("<H", body)[0]
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        position += 4 + length
    check_extent(sheet, rows, columns, limits, declared=False)


_BROKEN = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,  # an encrypted member
    NotImplementedError,  # an unknown compression method
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    UnicodeError,
    struct.error,
)


def measure(data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse (SheetRefused) a workbook whose sheets are beyond the limits, or unreadable.

    Pure Python with memory bounded by the file (the zip checks of reading.py come first):
    safe to run in the serving process.
    """
    if not data.startswith(b"PK\x03\x04"):
        try:
            check_xls(data, limits)
        except _BROKEN as exc:
            raise _unreadable("XLS") from exc
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.bin" in names:
                raise SheetRefused(
                    "Le format XLSB (classeur binaire Excel) n'est pas accepté : enregistrez "
                    "le classeur au format XLSX, ou exportez-le en CSV."
                )
            if "content.xml" in names:
                check_ods(archive, limits)
            check_xlsx(archive, limits)
    except _BROKEN as exc:
        raise _unreadable("XLSX") from exc
