"""What every sheet measure shares: the limits, the refusal, cell references, XML walking.

Django-free (runs in the parsing child process, see the package's docstring).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


def number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def column_name(number: int) -> str:
    """1 -> A, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def limits_text(limits: Limits) -> str:
    return (
        f"la limite est de {number(limits.rows)} lignes, {number(limits.columns)} colonnes "
        f"et {number(limits.cells)} cellules (lignes × colonnes)"
    )


def check_extent(sheet: str, rows: int, columns: int, limits: Limits, *, declared: bool) -> None:
    """Refuse a sheet whose extent (from A1) is beyond the limits."""
    if within(rows, columns, limits):
        return
    verb = "déclare" if declared else "contient"
    corner = f"{column_name(columns)}{rows}"
    raise SheetRefused(
        f"Le fichier {verb} une feuille « {sheet} » de {number(rows)} lignes × "
        f"{number(columns)} colonnes (jusqu'à la cellule {corner}) ; {limits_text(limits)}. "
        "Supprimez les lignes et colonnes en trop (ou copiez les seules cellules utiles dans "
        "un nouveau classeur), ou découpez le fichier."
    )


def unreadable(kind: str) -> SheetRefused:
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


def within(rows: int, columns: int, limits: Limits) -> bool:
    return rows <= limits.rows and columns <= limits.columns and rows * columns <= limits.cells


def local_name(name: str) -> str:
    return name.rpartition(":")[2].rpartition("}")[2]


def attribute(attrs: dict[str, str], name: str) -> str | None:
    return next((v for k, v in attrs.items() if local_name(k) == name), None)


Start = Callable[[str, dict[str, str]], None]


def expat_walk(
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
        raise unreadable(kind) from exc
