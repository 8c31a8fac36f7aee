"""The compte-rendu files."""

from __future__ import annotations

import csv
import io

from python_calamine import CalamineWorkbook

from caducee.loadusers.report import REPORT_HEADERS, report_csv, report_xlsx

PROBLEMS = [
    {
        "line": 3,
        "column": "RPPS",
        "email": "a@b.fr",
        "severity": "error",
        "code": "identifier",
        "message": '=HYPERLINK("x") numéro invalide',
    }
]


def test_report_csv() -> None:
    rows = list(csv.reader(io.StringIO(report_csv(PROBLEMS).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(REPORT_HEADERS)
    assert rows[1][:4] == ["3", "RPPS", "a@b.fr", "erreur (ligne rejetée)"]
    assert rows[1][5].startswith("'=")  # formula-safe


def test_report_xlsx() -> None:
    data = report_xlsx(PROBLEMS, {"created": 2, "updated": 0, "unchanged": 1, "rejected": 1})
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name("Compte-rendu").to_python()
    assert rows[0] == list(REPORT_HEADERS)
    link = rows[1][5]
    assert rows[1][0] == 3 and isinstance(link, str) and link.startswith("=HYPERLINK")
    totals = book.get_sheet_by_name("Totaux").to_python()
    assert totals[0] == ["Créés", 2]
