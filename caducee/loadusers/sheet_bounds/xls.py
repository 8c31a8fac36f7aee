"""XLS: the compound file (OLE2) walked with bounded loops to the Workbook stream, whose
BIFF records give each sheet's DIMENSIONS and every cell's row and column."""

from __future__ import annotations

import struct
from collections.abc import Callable

from caducee.loadusers.sheet_bounds.common import LIMITS, Limits, check_extent, unreadable

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
            raise unreadable("XLS")
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
            raise unreadable("XLS")
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
            raise unreadable("XLS")  # a loop in the chain
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
            raise unreadable("XLS")
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
