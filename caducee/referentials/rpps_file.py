"""Reading the public RPPS extraction of the « annuaire santé » (ANS), line by line.

The file is `PS_LibreAcces_Personne_activite_<date>.txt` from the archive
`PS_LibreAcces_<date>.zip` (annuaire.sante.fr, « Extractions en libre accès »): UTF-8,
fields separated by `|` (each line also ends with one), a header line, one line per
activity (a person working in two places has two lines). Only four columns are needed,
found by their header whatever their position, case or accents:

- « Identification nationale PP »: `8` + the RPPS (12 characters) for a person in the RPPS,
  `0` + the ADELI number for the last ADELI lines (not kept: this check is about RPPS);
- « Nom d'exercice », « Prénom d'exercice »;
- « Code profession » (TRE_G15), and « Libellé profession » when present.

A line that cannot be used is skipped and counted with its reason; the first few are
quoted with their line number and column. A file without those columns is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from caducee.core.errors import Invalid
from caducee.referentials.identifiers import InvalidIdentifier, validate_rpps
from caducee.referentials.text import fold

SEPARATOR = "|"
NATIONAL_ID = "Identification nationale PP"
LAST_NAME = "Nom d'exercice"
FIRST_NAME = "Prénom d'exercice"
PROFESSION_CODE = "Code profession"
PROFESSION_LABEL = "Libellé profession"
REQUIRED_COLUMNS = (NATIONAL_ID, LAST_NAME, FIRST_NAME, PROFESSION_CODE)
EXAMPLES_KEPT = 10  # skipped lines quoted in the summary

SKIP_REASONS: dict[str, str] = {
    "encoding": "ligne qui n'est pas en UTF-8",
    "columns": "nombre de colonnes insuffisant",
    "not_rpps": "identifiant qui n'est pas un RPPS (ADELI ou autre)",
    "bad_key": "numéro RPPS invalide (clé de contrôle)",
    "empty_name": "nom ou prénom d'exercice vide",
    "empty_profession": "code profession vide",
}


@dataclass(frozen=True)
class Activity:
    """One usable line: who, and one of their professions."""

    line: int
    rpps: str
    last_name: str
    first_name: str
    profession_code: str
    profession_label: str


@dataclass
class ReadReport:
    """What the reading found, filled as the lines go by."""

    lines_read: int = 0  # data lines, header excluded
    skipped: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)  # « ligne 12, colonne « … » : … »

    @property
    def lines_skipped(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(example)


@dataclass(frozen=True)
class Columns:
    national_id: int
    last_name: int
    first_name: int
    profession_code: int
    profession_label: int | None
    width: int  # fields a line needs at least


def read_header(raw: bytes) -> Columns:
    """The positions of the needed columns, or a French refusal naming what is missing."""
    try:
        header = raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise Invalid(
            "Fichier refusé : la ligne 1 (en-tête) n'est pas en UTF-8. Utilisez le fichier "
            "PS_LibreAcces_Personne_activite_*.txt tel que téléchargé sur annuaire.sante.fr."
        ) from None
    if SEPARATOR not in header:
        raise Invalid(
            "Fichier refusé : la ligne 1 (en-tête) ne contient pas le séparateur « | ». "
            "Attendu : le fichier PS_LibreAcces_Personne_activite_*.txt de l'annuaire santé, "
            "non converti (ni CSV à virgules ou points-virgules, ni tableur)."
        )
    positions: dict[str, int] = {}
    for index, name in enumerate(header.split(SEPARATOR)):
        positions.setdefault(fold(name), index)
    missing = [name for name in REQUIRED_COLUMNS if fold(name) not in positions]
    if missing:
        names = ", ".join(f"« {name} »" for name in missing)
        plural = "s" if len(missing) > 1 else ""
        raise Invalid(
            f"Fichier refusé : colonne{plural} absente{plural} de l'en-tête (ligne 1) : "
            f"{names}. Est-ce bien le fichier PS_LibreAcces_Personne_activite_*.txt "
            "de l'extraction en libre accès de l'annuaire santé ?"
        )
    national, last, first, code = (positions[fold(name)] for name in REQUIRED_COLUMNS)
    label = positions.get(fold(PROFESSION_LABEL))
    width = max(national, last, first, code, label or 0) + 1
    return Columns(national, last, first, code, label, width)


def read_activities(stream: BinaryIO, report: ReadReport) -> Iterator[Activity]:
    """The usable lines of the file, one at a time (nothing is kept but the report)."""
    columns = read_header(stream.readline())
    last_checked = ("", "")  # (national id, RPPS): a person's lines follow each other
    for number, raw in enumerate(stream, start=2):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.lines_read += 1
            report.skip("encoding", f"ligne {number} : caractères qui ne sont pas en UTF-8")
            continue
        line = line.rstrip("\r\n")
        if not line:
            continue
        report.lines_read += 1
        fields = line.split(SEPARATOR)
        if len(fields) < columns.width:
            report.skip(
                "columns",
                f"ligne {number} : {len(fields)} colonnes, au moins {columns.width} attendues",
            )
            continue
        national = fields[columns.national_id].strip()
        if national == last_checked[0]:
            rpps = last_checked[1]
        else:
            rpps = _rpps_of(national, number, report)
            if not rpps:
                continue
            last_checked = (national, rpps)
        activity = _activity(fields, columns, number, rpps, report)
        if activity is not None:
            yield activity


def _rpps_of(national: str, number: int, report: ReadReport) -> str:
    where = f"ligne {number}, colonne « {NATIONAL_ID} »"
    if len(national) != 12 or not national.startswith("8"):  # "0" + ADELI, or other
        report.skip("not_rpps", f"{where} : « {national} » n'est pas un RPPS")
        return ""
    try:
        return validate_rpps(national[1:])
    except InvalidIdentifier as exc:
        report.skip("bad_key", f"{where} : « {national} » : {exc}")
        return ""


def _activity(
    fields: list[str], columns: Columns, number: int, rpps: str, report: ReadReport
) -> Activity | None:
    last_name = fields[columns.last_name].strip()
    first_name = fields[columns.first_name].strip()
    if not last_name or not first_name:
        empty = LAST_NAME if not last_name else FIRST_NAME
        report.skip("empty_name", f"ligne {number}, colonne « {empty} » : vide")
        return None
    code = fields[columns.profession_code].strip()
    if not code:
        report.skip("empty_profession", f"ligne {number}, colonne « {PROFESSION_CODE} » : vide")
        return None
    label = fields[columns.profession_label].strip() if columns.profession_label else ""
    # "|" cannot occur in a field; "=" separates a code from its label in storage.
    return Activity(number, rpps, last_name, first_name, code.replace("=", ""), label)
