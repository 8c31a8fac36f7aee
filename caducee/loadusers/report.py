"""The compte-rendu of an import: one row per problem, downloadable as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Any

import xlsxwriter

from caducee.loadusers.cells import guard

SEVERITY_LABELS = {"error": "erreur (ligne rejetée)", "warning": "avertissement"}
REPORT_HEADERS = ("Ligne", "Colonne", "Adresse mail", "Gravité", "Code", "Message")


@dataclass(frozen=True)
class ReportRow:
    """A problem of the file: line 1 is the header, 0 means the file as a whole."""

    line: int
    column: str
    email: str
    severity: str
    code: str
    message: str

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
    ]


def summary_rows(counts: dict[str, int]) -> list[list[str]]:
    return [
        ["Créés", str(counts.get("created", 0))],
        ["Modifiés", str(counts.get("updated", 0))],
        ["Inchangés", str(counts.get("unchanged", 0))],
        ["Rejetés", str(counts.get("rejected", 0))],
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
    sheet.freeze_panes(1, 0)
    totals = book.add_worksheet("Totaux")
    for row, (label, value) in enumerate(summary_rows(counts)):
        totals.write_string(row, 0, label, bold)
        totals.write_number(row, 1, int(value))
    book.close()
    return buffer.getvalue()
