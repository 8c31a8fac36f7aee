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

The package holds one module per format (xlsx.py, ods.py, xls.py) and what they share
(common.py); `measure` chooses.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from caducee.loadusers.sheet_bounds.common import (
    LIMITS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Limits,
    SheetRefused,
    check_extent,
    column_name,
    parse_ref,
    unreadable,
)
from caducee.loadusers.sheet_bounds.ods import check_ods
from caducee.loadusers.sheet_bounds.xls import CFB_MAGIC, check_xls, looks_like_compound
from caducee.loadusers.sheet_bounds.xlsx import check_xlsx, xlsx_sheets

__all__ = [
    "CFB_MAGIC",
    "LIMITS",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Limits",
    "SheetRefused",
    "check_extent",
    "check_ods",
    "check_xls",
    "check_xlsx",
    "column_name",
    "looks_like_compound",
    "measure",
    "parse_ref",
    "xlsx_sheets",
]


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
            raise unreadable("XLS") from exc
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
        raise unreadable("XLSX") from exc
