"""Reading the national MSSanté extraction: the 31-column `|` format of `pipe.py`.

The file is read line by line (any size, flat memory). Each usable line becomes one
`NationalRow`; the others are counted by reason (`SKIP_REASONS`) with a few examples.
Mailboxes of this platform's own domains are left out: they are already in the regional
directory, with their current state.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from caducee.directory.entries import keyword_text
from caducee.directory.pipe_columns import PIPE_COLUMNS, PIPE_TYPES

SKIP_REASONS: dict[str, str] = {
    "columns": "nombre de colonnes différent de 31",
    "type": "type de BAL autre que PER ou ORG",
    "address": "adresse BAL absente ou invalide",
    "own_domain": "adresse d'un domaine de cette plateforme (déjà dans l'annuaire régional)",
    "duplicate": "adresse BAL déjà lue plus haut dans le fichier",
    "encoding": "ligne illisible en UTF-8",
}
MAX_EXAMPLES = 5
_INDEX = {name: i for i, name in enumerate(PIPE_COLUMNS)}
_WIDTH = len(PIPE_COLUMNS)


@dataclass
class ReadReport:
    lines_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def lines_skipped(self) -> int:
        return sum(self.skipped.values())

    def skip(self, number: int, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"ligne {number} : {SKIP_REASONS[reason]}")


@dataclass(frozen=True)
class NationalRow:
    sort_key: str
    bal_type: str
    address: str
    display_name: str
    rpps: str
    profession: str
    specialty: str
    organisation: str
    city: str
    department: str
    keywords: str


def _cell(cells: list[str], name: str) -> str:
    return cells[_INDEX[name]].strip()


def _valid_address(address: str) -> bool:
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and " " not in address and len(address) <= 320)


def row_of(cells: list[str]) -> NationalRow:
    """One line's row (the cells already counted and the address checked)."""
    address = _cell(cells, "Adresse BAL").lower()
    bal_type = _cell(cells, "Type de BAL")
    last = _cell(cells, "Nom d'exercice")
    first = _cell(cells, "Prénom d'exercice")
    company = _cell(cells, "Raison Sociale structure BAL")
    sign = _cell(cells, "Enseigne commerciale structure BAL")
    service = _cell(cells, "Service de rattachement")
    organisation = company or sign
    if bal_type == "PER" and (last or first):
        name = f"{last} {first}".strip()
    else:
        name = service or organisation or address
    profession = _cell(cells, "Libellé Profession")
    specialty = _cell(cells, "Libellé savoir-faire")
    city = _cell(cells, "L6LIGNEACHEMINEMENT structure BAL")
    postal = _cell(cells, "Code postal structure BAL")
    department = _cell(cells, "Département structure BAL").upper()[:3]
    rpps = _cell(cells, "Identification nationale PP")
    words = keyword_text(
        last,
        first,
        service,
        profession,
        specialty,
        company,
        sign,
        city,
        postal,
        department,
        rpps,
        _cell(cells, "Identifiant PP"),
        address,
    ).split()
    # Each word once (the name comes again in the address and the company, the postal
    # code twice): the same matches, a third fewer words to index and to delete.
    keywords = " ".join(dict.fromkeys(words))
    return NationalRow(
        sort_key=keyword_text(name)[:300] + " " + address,
        bal_type=bal_type,
        address=address,
        display_name=name[:320],
        rpps=rpps[:20],
        profession=profession[:200],
        specialty=specialty[:200],
        organisation=organisation[:300],
        city=city[:200],
        department=department,
        keywords=keywords,
    )


def read_rows(
    stream: BinaryIO, report: ReadReport, own_domains: Container[str]
) -> Iterator[NationalRow]:
    """The usable lines of the file; the header line (if any) is skipped, not counted."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")
    for number, raw in enumerate(stream, start=1):
        try:
            line = decoder().decode(raw, final=True) if number == 1 else raw.decode("utf-8")
        except UnicodeDecodeError:
            report.lines_read += 1
            report.skip(number, "encoding")
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        cells = line.split("|")
        if number == 1 and cells and cells[0].strip() == PIPE_COLUMNS[0]:
            continue
        report.lines_read += 1
        if len(cells) != _WIDTH:
            report.skip(number, "columns")
            continue
        if _cell(cells, "Type de BAL") not in PIPE_TYPES:
            report.skip(number, "type")
            continue
        address = _cell(cells, "Adresse BAL").lower()
        if not _valid_address(address):
            report.skip(number, "address")
            continue
        if address.rpartition("@")[2] in own_domains:
            report.skip(number, "own_domain")
            continue
        yield row_of(cells)
