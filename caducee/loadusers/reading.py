"""Reading a loaduser file (CSV, XLS, XLSX) as a header and a stream of lines.

- Columns are found by header name, folded (case, accents, spaces and punctuation do
  not matter) against each column's header and aliases in the field table; order is free.
- CSV: UTF-8 with or without BOM, UTF-16 with BOM (Excel « texte Unicode »), otherwise
  Windows-1252 (Excel FR « CSV séparateur point-virgule »); `;`, `,` or tab delimiter,
  chosen from the header line.
- XLS / XLSX / ODS: python-calamine (Rust). Before calamine sees an XLSX (a zip), the zip
  directory is checked: total uncompressed size and compression ratio are bounded, so a
  zip bomb is refused without being inflated. Calamine's XML parser (quick-xml) never
  expands DTD entities (no "billion laughs", no external entities): a tested property.
- A workbook is never parsed in this process (only its zip directory, or its compound
  file header, is checked here): a child process (`sheet_process.py`, under a memory and
  a time limit) measures every sheet (`sheet_bounds/`: rows, columns and cells, from
  the declared dimension and the cells' positions), refuses one beyond the limits, lets
  calamine parse the first sheet and hands its rows back. A child that dies is a refusal
  of the file, never a crash of the server.
- Size limit: CADUCEE_UPLOAD_MAX_MB (20 MB by default) for the file as uploaded.

Every failure to use the file raises `FileRefused` with a French message saying what
to do; nothing is ever written before the whole file has been read.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from caducee.accounts.fields import BY_KEY, FIELDS, FieldSpec, Rule
from caducee.core.errors import OperationError
from caducee.loadusers.cells import GUARD, unguard
from caducee.loadusers.report import ReportRow
from caducee.loadusers.sheet_bounds import CFB_MAGIC, MAX_COLUMNS, looks_like_compound
from caducee.loadusers.sheet_process import Budget, ParseFailed, read_sheet
from caducee.referentials.text import fold

# An XLSX of 20 MB expands to a few hundred MB at most for genuine data.
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 200
csv.field_size_limit(1024 * 1024)
# Columns a file must have: the email, the type, and every column mandatory for every
# type. Région is derived from Département when absent, so it may be left out.
DERIVED = frozenset({"region"})
MANDATORY_COLUMNS: tuple[str, ...] = tuple(
    spec.key
    for spec in FIELDS
    if spec.key in {"email", "type"}
    or (all(r is Rule.O for r in spec.rules.values()) and spec.key not in DERIVED)
)
NOT_TEXT = (
    "Ce fichier n'est pas un fichier texte CSV (il contient des octets nuls) : "
    "enregistrez-le au format CSV, XLS ou XLSX."
)
EMPTY_FILE = "Le fichier est vide : utilisez le modèle loaduser et remplissez-le."


class FileRefused(OperationError):
    """The file itself cannot be used (format, encoding, size, missing columns)."""


class FileTooLarge(FileRefused):
    """The file is over CADUCEE_UPLOAD_MAX_MB (the API answers 413)."""


@dataclass
class Header:
    """The header line: which column holds which field, as written in the file."""

    written: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # spec key -> column index
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    def header_of(self, key: str) -> str:
        """The column header as written in the file, or the template's header."""
        index = self.columns.get(key)
        if index is not None:
            return self.written[index]
        spec = next((s for s in FIELDS if s.key == key), None)
        return spec.header if spec is not None else key


@dataclass
class Table:
    header: Header
    rows: Iterator[tuple[int, list[object]]]  # (spreadsheet line number, cells)
    format: str
    size_hint: int = 0  # about how many lines (progress bars)


def max_bytes() -> int:
    return int(getattr(settings, "CADUCEE_UPLOAD_MAX_MB", 20)) * 1024 * 1024


def max_megabytes() -> int:
    return max_bytes() // 1024 // 1024


def check_upload_size(size: int | None) -> None:
    """The one upload-size rule (console, API, CLI, import): FileTooLarge over the limit,
    FileRefused for an empty file. A size not known yet (None) is checked once read."""
    if size is None:
        return
    if size > max_bytes():
        megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        raise FileTooLarge(
            f"Le fichier fait {megabytes} Mo : la limite est de {max_megabytes()} Mo. "
            "Découpez-le en plusieurs fichiers."
        )
    if size == 0:
        raise FileRefused(EMPTY_FILE)


@contextmanager
def opened(
    source: bytes | str | Path | BinaryIO, file_name: str
) -> Iterator[tuple[bytes | BinaryIO, str]]:
    """The file's content and name, from bytes, a path or an open file (at most the limit
    plus one byte is read, so that `open_table` refuses a larger file). A path is opened,
    not read: a CSV is then read from the disk as its lines are checked, and the file is
    closed on the way out."""
    if isinstance(source, bytes):
        yield source, file_name or "fichier"
        return
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            check_upload_size(path.stat().st_size)
            stream = path.open("rb")
        except OSError as exc:
            raise FileRefused(f"Fichier « {path} » illisible : {exc.strerror}.") from exc
        with stream:
            yield stream, file_name or path.name
        return
    data = source.read(max_bytes() + 1)
    yield data, file_name or str(getattr(source, "name", "fichier"))


def check_columns(header: Header) -> None:
    """Every mandatory column is in the header line, or the file is refused."""
    missing = [BY_KEY[key].header for key in MANDATORY_COLUMNS if key not in header.columns]
    if missing:
        names = ", ".join(f"« {m} »" for m in missing)
        raise FileRefused(
            f"Colonne(s) obligatoire(s) absente(s) de la ligne d'en-tête : {names}. "
            "Ajoutez-les (téléchargez le modèle loaduser pour les noms exacts) ; "
            "aucun compte n'a été modifié."
        )


def header_warnings(header: Header) -> list[ReportRow]:
    """Unknown and repeated columns: reported on line 1, the file is still read."""
    rows = [
        ReportRow(
            1,
            text,
            "",
            "warning",
            "unknown_column",
            f"Colonne « {text} » inconnue : elle est ignorée. Vérifiez son nom si elle "
            "devait être lue (voir le modèle loaduser).",
        )
        for _, text in header.unknown
    ]
    rows += [
        ReportRow(
            1,
            text,
            "",
            "warning",
            "duplicate_column",
            f"Colonne « {text} » présente deux fois : seule la première est lue.",
        )
        for _, text in header.duplicates
    ]
    return rows


def _lookup() -> dict[str, FieldSpec]:
    table: dict[str, FieldSpec] = {}
    for spec in FIELDS:
        for name in (spec.header, *spec.aliases):
            table.setdefault(fold(name), spec)
    return table


_BY_FOLDED = _lookup()


def match_header(cells: list[object]) -> Header:
    written = ["" if c is None else str(c).strip() for c in cells]
    while written and not written[-1]:
        written.pop()
    header = Header(written)
    for index, text in enumerate(written):
        if not text:
            continue
        spec = _BY_FOLDED.get(fold(text))
        if spec is None:
            header.unknown.append((index, text))
        elif spec.key in header.columns:
            header.duplicates.append((index, text))
        else:
            header.columns[spec.key] = index
    return header


def detect_format(data: bytes, file_name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"  # also ODS; calamine tells them apart
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    suffix = Path(file_name).suffix.lower()
    if suffix in {".xlsx", ".xls", ".ods", ".xlsm"}:
        raise FileRefused(
            f"Le fichier « {file_name} » n'est pas un classeur {suffix[1:].upper()} lisible : "
            "enregistrez-le de nouveau depuis votre tableur (CSV, XLS ou XLSX)."
        )
    return "csv"


def open_table(data: bytes | BinaryIO, file_name: str = "fichier") -> Table:
    """Parse the header and return the lines lazily; raises FileRefused. `data`: the
    file's bytes, or the file itself (seekable), from which a CSV is read as a stream."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data  # shares the bytes
    check_upload_size(stream.seek(0, io.SEEK_END))
    if not any(piece.strip() for piece in _pieces(stream)):
        raise FileRefused(EMPTY_FILE)
    stream.seek(0)
    fmt = detect_format(stream.read(8), file_name)
    if fmt == "csv":
        rows, size = _csv_rows(stream)
    else:
        content = data if isinstance(data, bytes) else _whole(stream)
        if fmt == "xlsx":
            _check_zip(content)
        rows, size = _sheet_rows(content)
    return _with_header(rows, fmt, size)


def _pieces(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """The file from its start, a megabyte at a time (no copy of the whole file)."""
    stream.seek(0)
    while piece := stream.read(size):
        yield piece


def _whole(stream: BinaryIO) -> bytes:
    stream.seek(0)
    return stream.read()


def _with_header(rows: Iterator[tuple[int, list[object]]], fmt: str, size: int) -> Table:
    try:
        first = next(rows, None)
        while first is not None and not any(_filled(c) for c in first[1]):
            first = next(rows, None)
    except (csv.Error, UnicodeError) as exc:
        raise FileRefused(f"Ligne d'en-tête illisible ({exc}) : vérifiez le fichier.") from exc
    if first is None:
        raise FileRefused("Le fichier ne contient aucune ligne : utilisez le modèle loaduser.")
    line, cells = first
    if line != 1:
        raise FileRefused(
            f"La ligne 1 est vide : la ligne d'en-tête (noms des colonnes) doit être la "
            f"première ligne du fichier (trouvée en ligne {line})."
        )
    if len(cells) > MAX_COLUMNS:
        raise FileRefused(f"Le fichier a {len(cells)} colonnes : {MAX_COLUMNS} au plus.")
    header = match_header(cells)
    return Table(header, _guarded(rows), fmt, max(0, size - 1))


def _guarded(rows: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    for line, cells in rows:
        if not _may_be_guarded(cells):
            yield line, cells
            continue
        # The test inline, `unguard` only for the few cells that may carry a guard.
        yield line, [c if type(c) is not str or c[:1] != GUARD else unguard(c) for c in cells]


_BEFORE_GUARD = "\x1f" + GUARD


def _may_be_guarded(cells: list[object]) -> bool:
    """False when no cell starts with the guard, found for a line of text in one search
    (issue #19: the test cell by cell was a visible share of the import); a workbook's
    line with numbers or dates is tested cell by cell."""
    try:
        return _BEFORE_GUARD in "\x1f" + "\x1f".join(cells)  # type: ignore[arg-type]
    except TypeError:
        return True


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# --- CSV ---------------------------------------------------------------------------


def encoding_of(stream: BinaryIO) -> tuple[int, str, str]:
    """(bytes to skip, codec, error handling) of a CSV file: UTF-8 with BOM (bad bytes
    replaced), UTF-16 with BOM, UTF-8, otherwise Windows-1252 (or Latin-1 when some byte is
    undefined there). The candidates are tried piecewise: no copy of the file is made."""
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return len(codecs.BOM_UTF8), "utf-8", "replace"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 0, "utf-16", "strict"
    for codec in ("utf-8", "cp1252"):
        if _decodes(stream, codec):
            return 0, codec, "strict"
    # Bytes Windows-1252 leaves undefined: read them as Latin-1 rather than refuse.
    return 0, "latin-1", "strict"


def _decodes(stream: BinaryIO, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        for piece in _pieces(stream):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def text_stream(stream: BinaryIO) -> io.TextIOBase:
    """The file's text, decoded as it is read: memory holds neither a copy of the file as
    text nor, for a file on disk, its bytes (UTF-16, rare, is decoded at once). FileRefused
    for a file that is no text."""
    skip, codec, errors = encoding_of(stream)
    if codec == "utf-16":
        try:
            text = _whole(stream).decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRefused(
                "Fichier texte Unicode (UTF-16) illisible : enregistrez-le en CSV UTF-8."
            ) from exc
        if "\x00" in text:
            raise FileRefused(NOT_TEXT)
        return io.StringIO(text, newline="")
    if any(b"\x00" in piece for piece in _pieces(stream)):  # a NUL, in these encodings
        raise FileRefused(NOT_TEXT)
    stream.seek(skip)
    return io.TextIOWrapper(stream, encoding=codec, errors=errors, newline="")


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _csv_rows(stream: BinaryIO) -> tuple[Iterator[tuple[int, list[object]]], int]:
    newlines = sum(piece.count(b"\n") for piece in _pieces(stream))
    text = text_stream(stream)
    lines = (text.getvalue().count("\n") if isinstance(text, io.StringIO) else newlines) + 1
    first_line = text.readline()
    reader = csv.reader(itertools.chain([first_line], text), delimiter=sniff_delimiter(first_line))

    def rows() -> Iterator[tuple[int, list[object]]]:
        try:
            for line, cells in enumerate(reader, start=1):
                yield line, list(cells)
        except csv.Error as exc:
            raise FileRefused(
                f"Fichier CSV illisible vers la ligne {reader.line_num} ({exc}) : vérifiez "
                "les guillemets de cette ligne."
            ) from exc

    return rows(), lines


# --- Spreadsheets ------------------------------------------------------------------


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    raise FileRefused(
                        "Le classeur est anormalement compressé (possible « bombe zip ») : "
                        "il a été refusé sans être ouvert."
                    )
            if total > MAX_UNCOMPRESSED:
                raise FileRefused(
                    "Le classeur décompressé dépasse "
                    f"{MAX_UNCOMPRESSED // 1024 // 1024} Mo : découpez-le en plusieurs fichiers."
                )
    except zipfile.BadZipFile as exc:
        raise FileRefused(
            "Classeur XLSX endommagé : ouvrez-le et enregistrez-le de nouveau depuis votre tableur."
        ) from exc


def parse_budget() -> Budget:
    """Memory and time of the child process that parses a workbook (settings)."""
    return Budget(
        memory_mb=int(getattr(settings, "CADUCEE_UPLOAD_PARSE_MEMORY_MB", 2048)),
        seconds=int(getattr(settings, "CADUCEE_UPLOAD_PARSE_SECONDS", 300)),
    )


def _sheet_rows(data: bytes) -> tuple[Iterator[tuple[int, list[object]]], int]:
    if data.startswith(CFB_MAGIC) and not looks_like_compound(data):
        raise FileRefused(
            "Classeur XLS endommagé ou illisible : ouvrez-le et enregistrez-le de nouveau "
            "depuis votre tableur (XLSX ou CSV)."
        )
    try:
        rows, height = read_sheet(data, parse_budget())  # measured, then parsed, in a child
    except ParseFailed as exc:
        raise FileRefused(exc.message) from exc

    def refused() -> Iterator[tuple[int, list[object]]]:
        try:
            yield from rows
        except ParseFailed as exc:
            raise FileRefused(exc.message) from exc

    return refused(), height
