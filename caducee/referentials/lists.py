"""The predefined lists shipped as data (official codes and labels).

Each list accepts a code or a label, tolerant to case, accents and separators.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from caducee.referentials.text import fold


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.label


class Referential:
    """An ordered list of entries, looked up by code or by label."""

    def __init__(self, name: str, title: str, entries: list[Entry]) -> None:
        self.name = name
        self.title = title
        self.entries = entries
        self._index: dict[str, Entry] = {}
        for entry in entries:
            self._index.setdefault(fold(entry.label), entry)
        for entry in entries:
            self._index[fold(entry.code)] = entry
            # "1" and "01" both name department 01.
            if entry.code.isdigit():
                self._index.setdefault(str(int(entry.code)), entry)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, value: str) -> Entry | None:
        key = fold(value)
        if not key:
            return None
        return self._index.get(key)

    def get(self, code: str) -> Entry | None:
        """Entry by exact code (values stored in the database)."""
        for entry in self.entries:
            if entry.code == code:
                return entry
        return None

    def label(self, code: str) -> str:
        entry = self.get(code)
        return entry.label if entry else code

    def choices(self) -> list[tuple[str, str]]:
        return [(e.code, e.label) for e in self.entries]


def _read(filename: str, code: str, label: str) -> list[Entry]:
    text = resources.files("caducee.referentials").joinpath("data", filename).read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return [Entry(row[code], row[label], dict(row)) for row in rows]


@cache
def departments() -> Referential:
    return Referential(
        "departements", "Département", _read("departements.csv", "code_departement", "nom")
    )


@cache
def regions() -> Referential:
    return Referential("regions", "Région", _read("regions.csv", "code_region", "nom"))


@cache
def professions() -> Referential:
    return Referential("professions", "Profession", _read("professions.csv", "code", "label"))


@cache
def specialties() -> Referential:
    return Referential("specialites", "Spécialité", _read("specialites.csv", "code", "label"))


@cache
def diplomas() -> Referential:
    return Referential("diplomes", "Diplôme", _read("diplomes.csv", "code", "label"))


@cache
def civilities() -> Referential:
    return Referential("civilites", "Civilité d'exercice", _read("civilites.csv", "code", "label"))


def region_of_department(code: str) -> str | None:
    entry = departments().get(code)
    return entry.extra["code_region"] if entry else None


# Professions whose INT accounts need a civilité d'exercice (seed 002 §3).
PROFESSIONS_WITH_CIVILITY = frozenset({"10", "21", "40"})


def is_medico_social(profession_code: str) -> bool:
    entry = professions().get(profession_code)
    return bool(entry and entry.extra.get("category") in {"medico_social", "social"})


BY_NAME = {
    "departements": departments,
    "regions": regions,
    "professions": professions,
    "specialites": specialties,
    "diplomes": diplomas,
    "civilites": civilities,
}


def by_name(name: str) -> Referential:
    return BY_NAME[name]()
