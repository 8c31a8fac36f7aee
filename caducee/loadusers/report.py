"""The compte-rendu of an import: one row per problem, downloadable as CSV and XLSX, and the
problems grouped by kind (`group_problems`: « 45 lignes : profession « X » inconnue »)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import xlsxwriter

from caducee.loadusers.cells import guard

SEVERITY_LABELS = {"error": "erreur (ligne rejetée)", "warning": "avertissement"}
REPORT_HEADERS = ("Ligne", "Colonne", "Adresse mail", "Gravité", "Code", "Message", "Valeur")
GROUP_HEADERS = ("Lignes", "Gravité", "Code", "Colonne", "Valeur", "Message", "Premières lignes")
VARIOUS = "(valeurs différentes)"
MAX_VALUE = 200  # characters of an offending value kept in the report
FIRST_LINES = 5  # line numbers named per group
MAX_SINGLES = 3  # more one-line values than this for one code and column: one group


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A problem of the file: line 1 is the header, 0 means the file as a whole (slots:
    a 1,000,000-line file may have 100,000 of them, issue #19)."""

    line: int
    column: str
    email: str
    severity: str
    code: str
    message: str
    value: str = ""  # the offending cell, as written (grouping key)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def _cells(problem: dict[str, Any]) -> list[str]:
    return [
        str(problem.get("line", "")),
        str(problem.get("column", "")),
        str(problem.get("email", "")),
        SEVERITY_LABELS.get(str(problem.get("severity")), str(problem.get("severity", ""))),
        str(problem.get("code", "")),
        str(problem.get("message", "")),
        str(problem.get("value", "")),
    ]


def summary_rows(counts: dict[str, int]) -> list[list[str]]:
    return [
        ["Créés", str(counts.get("created", 0))],
        ["Modifiés", str(counts.get("updated", 0))],
        ["Inchangés", str(counts.get("unchanged", 0))],
        ["Rejetés", str(counts.get("rejected", 0))],
        ["Adresses MSSanté générées", str(counts.get("addresses_generated", 0))],
    ]


@dataclass
class _Group:
    severity: str
    code: str
    column: str
    value: str | None  # None: several values, each on one line (VARIOUS)
    message: str
    count: int = 0
    lines: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, line: int, value: str) -> None:
        self.count += 1
        if len(self.lines) < FIRST_LINES:
            self.lines.append(line)
        if value and len(self.examples) < FIRST_LINES and value not in self.examples:
            self.examples.append(value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "severity": self.severity,
            "code": self.code,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "lines": self.lines,
            "examples": self.examples if self.value is None else [],
        }


def _value_key(value: str) -> str:
    return " ".join(value.split()).casefold()


def group_problems(problems: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The problems grouped by kind: same severity, code, column and offending value (case
    and spaces aside), most frequent first; each with its count, its first line numbers and
    the message of its first line.

    For one severity, code and column, values found on one line each are one group when
    there are more than `MAX_SINGLES` of them (value None, a few examples): names put in
    capitals or invalid identifiers are one group, « profession « X » inconnue » one per X.
    """
    groups: dict[tuple[str, str, str, str], _Group] = {}
    for problem in problems:
        severity, code = str(problem.get("severity", "")), str(problem.get("code", ""))
        column, value = str(problem.get("column", "")), str(problem.get("value", "") or "")
        key = (severity, code, column, _value_key(value))
        group = groups.get(key)
        if group is None:
            message = str(problem.get("message", ""))
            group = groups[key] = _Group(severity, code, column, value, message)
        group.add(int(problem.get("line", 0) or 0), value)
    return [g.as_dict() for g in _merge_singles(list(groups.values()))]


def _merge_singles(groups: list[_Group]) -> list[_Group]:
    singles: dict[tuple[str, str, str], list[_Group]] = {}
    for group in groups:
        if group.count == 1 and group.value:
            singles.setdefault((group.severity, group.code, group.column), []).append(group)
    merged: list[_Group] = []
    gone: set[int] = set()
    for (severity, code, column), members in singles.items():
        if len(members) <= MAX_SINGLES:
            continue
        various = _Group(severity, code, column, None, members[0].message)
        for member in sorted(members, key=lambda g: g.lines[0]):
            various.add(member.lines[0], member.value or "")
            gone.add(id(member))
        merged.append(various)
    kept = [g for g in groups if id(g) not in gone] + merged
    return sorted(kept, key=lambda g: (-g.count, g.lines[0] if g.lines else 0, g.code))


def group_label(group: Mapping[str, Any]) -> str:
    """« 45 lignes : <message of the first line> » (the console and the CLI)."""
    count = int(group.get("count", 0))
    lines = f"{count} ligne{'s' if count > 1 else ''}"
    if group.get("value") is None:
        return f"{lines}, valeurs différentes, par exemple : {group.get('message', '')}"
    return f"{lines} : {group.get('message', '')}"


def _group_cells(group: Mapping[str, Any]) -> list[str]:
    value = group.get("value")
    shown = VARIOUS + " : " + ", ".join(group.get("examples", [])) if value is None else value
    severity = str(group.get("severity", ""))
    return [
        str(group.get("count", 0)),
        SEVERITY_LABELS.get(severity, severity),
        str(group.get("code", "")),
        str(group.get("column", "")),
        str(shown),
        str(group.get("message", "")),
        ", ".join(str(n) for n in group.get("lines", [])),
    ]


def report_csv(problems: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(REPORT_HEADERS)
    for problem in problems:
        writer.writerow([guard(c) for c in _cells(problem)])
    return out.getvalue().encode("utf-8")


def report_xlsx(problems: list[dict[str, Any]], counts: dict[str, int]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    bold = book.add_format({"bold": True})
    _synthesis_sheet(book, bold, problems)
    sheet = book.add_worksheet("Compte-rendu")
    for col, text in enumerate(REPORT_HEADERS):
        sheet.write_string(0, col, text, bold)
    for row, problem in enumerate(problems, start=1):
        cells = _cells(problem)
        sheet.write_number(row, 0, int(problem.get("line", 0) or 0))
        for col, text in enumerate(cells[1:], start=1):
            sheet.write_string(row, col, text)
    sheet.set_column(0, 0, 7)
    sheet.set_column(1, 2, 28)
    sheet.set_column(3, 4, 18)
    sheet.set_column(5, 5, 100)
    sheet.set_column(6, 6, 28)
    sheet.freeze_panes(1, 0)
    totals = book.add_worksheet("Totaux")
    for row, (label, value) in enumerate(summary_rows(counts)):
        totals.write_string(row, 0, label, bold)
        totals.write_number(row, 1, int(value))
    book.close()
    return buffer.getvalue()


def _synthesis_sheet(book: Any, bold: Any, problems: list[dict[str, Any]]) -> None:
    """The first sheet: the problems grouped by kind (`group_problems`), most frequent first."""
    sheet = book.add_worksheet("Synthèse")
    for col, text in enumerate(GROUP_HEADERS):
        sheet.write_string(0, col, text, bold)
    for row, group in enumerate(group_problems(problems), start=1):
        cells = _group_cells(group)
        sheet.write_number(row, 0, int(cells[0]))
        for col, text in enumerate(cells[1:], start=1):
            sheet.write_string(row, col, text)
    sheet.set_column(0, 0, 7)
    sheet.set_column(1, 3, 18)
    sheet.set_column(4, 4, 28)
    sheet.set_column(5, 5, 100)
    sheet.set_column(6, 6, 18)
    sheet.freeze_panes(1, 0)
