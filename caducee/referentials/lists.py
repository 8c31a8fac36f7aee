"""The predefined lists shipped as data (official codes and labels).

Each list accepts a code or a label as HR files write it: case, accents, separators,
gender marks, plural and feminine forms do not matter (`matching.py`). A value that
matches nothing gets the nearest labels as suggestions (`Referential.unknown_message`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from caducee.referentials.matching import Ambiguity, LabelIndex
from caducee.referentials.text import fold

# Where a person finds every code and label of a list (named in « unknown » messages).
FULL_LIST_HINT = (
    "La liste complète (codes et libellés) est dans l'onglet « Listes » du modèle loaduser "
    "(« Télécharger le modèle loaduser »)."
)
_MEMO_SIZE = 4096  # distinct raw values remembered per list (a file repeats a few values)


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Match:
    """What a value names in a list: one entry, several (ambiguous), or nothing."""

    entry: Entry | None
    candidates: tuple[Entry, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.entry is None and bool(self.candidates)


_NO_MATCH = Match(None)


class Referential:
    """An ordered list of entries, looked up by code or by label.

    Built once per list (the factories below are cached): codes first (a code always wins),
    then labels as written (case, accents and separators folded), then the matching keys of
    `LabelIndex` (gender marks, plural, feminine). A folded label or a key shared by two
    codes is listed in `ambiguous` and never resolved to one of them.
    """

    def __init__(
        self, name: str, title: str, entries: list[Entry], *, feminine: bool = False
    ) -> None:
        self.name = name
        self.title = title
        self.feminine = feminine  # « Profession … inconnue », « Département … inconnu »
        self.entries = entries
        self._by_code = {entry.code: entry for entry in entries}
        self._codes: dict[str, Entry] = {}
        for entry in entries:
            self._codes[fold(entry.code)] = entry
            # "1" and "01" both name department 01.
            if entry.code.isdigit():
                self._codes.setdefault(str(int(entry.code)), entry)
        by_label: dict[str, list[Entry]] = {}
        for entry in entries:
            same = by_label.setdefault(fold(entry.label), [])
            if entry not in same:
                same.append(entry)
        self._labels = {k: v[0] for k, v in by_label.items() if len(v) == 1}
        self._keys: LabelIndex[Entry] = LabelIndex((e.label, e) for e in entries)
        self.ambiguous: dict[str, tuple[Entry, ...]] = {
            k: tuple(v) for k, v in by_label.items() if len(v) > 1
        }
        for key, ambiguity in self._keys.ambiguous.items():
            self.ambiguous.setdefault(key, ambiguity.values)
        self._memo: dict[str, Match] = {}

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, value: str) -> Match:
        """The entry `value` names (code or label, as HR files write it), or why none."""
        known = self._memo.get(value)
        if known is not None:
            return known
        found = self._match(value)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[value] = found
        return found

    def _match(self, value: str) -> Match:
        folded = fold(value)
        if not folded:
            return _NO_MATCH
        entry = self._codes.get(folded) or self._labels.get(folded)
        if entry is not None:
            return Match(entry)
        if folded in self.ambiguous:
            return Match(None, self.ambiguous[folded])
        found = self._keys.get(value, folded)
        if isinstance(found, Ambiguity):
            return Match(None, found.values)
        return Match(found)

    def lookup(self, value: str) -> Entry | None:
        return self.match(value).entry

    def nearest(self, value: str, limit: int = 3) -> list[Entry]:
        """The closest labels to a value that matched nothing (for « Vouliez-vous dire »)."""
        return self._keys.nearest(value, limit)

    def unknown_message(self, value: str) -> str:
        """« Profession « X » inconnue. Vouliez-vous dire : « A » ou « B » ? » + the list."""
        unknown = "inconnue" if self.feminine else "inconnu"
        head = f"{self.title} « {value} » {unknown}."
        near = self.nearest(value)
        if near:
            return f"{head} Vouliez-vous dire : {_quoted_choices(near)} ? {FULL_LIST_HINT}"
        return f"{head} Indiquez un code ou un libellé de la liste. {FULL_LIST_HINT}"

    def ambiguous_message(self, value: str, candidates: tuple[Entry, ...]) -> str:
        """« X » names several entries: the person must choose (never chosen for them)."""
        ambiguous = "ambiguë" if self.feminine else "ambigu"
        names = _quoted_choices(candidates, with_code=True, last="et")
        return (
            f"{self.title} « {value} » {ambiguous} : correspond à {names}. "
            "Indiquez le code ou le libellé exact."
        )

    def get(self, code: str) -> Entry | None:
        """Entry by exact code (values stored in the database)."""
        return self._by_code.get(code)

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
    return Referential(
        "regions", "Région", _read("regions.csv", "code_region", "nom"), feminine=True
    )


@cache
def professions() -> Referential:
    return Referential(
        "professions", "Profession", _read("professions.csv", "code", "label"), feminine=True
    )


@cache
def specialties() -> Referential:
    return Referential(
        "specialites", "Spécialité", _read("specialites.csv", "code", "label"), feminine=True
    )


@cache
def diplomas() -> Referential:
    return Referential("diplomes", "Diplôme", _read("diplomes.csv", "code", "label"))


@cache
def civilities() -> Referential:
    return Referential(
        "civilites",
        "Civilité d'exercice",
        _read("civilites.csv", "code", "label"),
        feminine=True,
    )


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


def _quoted_choices(entries: Iterable[Entry], *, with_code: bool = False, last: str = "ou") -> str:
    """« A », « B » ou « C » (with « (code) » after each label when asked)."""
    names = [f"« {e.label} »" + (f" (code {e.code})" if with_code else "") for e in entries]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {last} {names[-1]}"
