"""The compte-rendu files."""

from __future__ import annotations

import csv
import io
from typing import Any

from python_calamine import CalamineWorkbook

from caducee.loadusers.report import (
    GROUP_HEADERS,
    REPORT_HEADERS,
    group_label,
    group_problems,
    report_csv,
    report_xlsx,
)

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


def problem(
    line: int, value: str, code: str = "choice", column: str = "Profession"
) -> dict[str, Any]:
    return {
        "line": line,
        "column": column,
        "email": f"l{line}@x.fr",
        "severity": "error",
        "code": code,
        "message": f"Profession « {value} » inconnue.",
        "value": value,
    }


def test_problems_are_grouped_by_code_column_and_value_most_frequent_first() -> None:
    problems = [problem(n, "Astronaute") for n in range(2, 47)]  # 45 lines
    problems += [problem(50, "plombier"), problem(51, " Plombier "), problem(52, "PLOMBIER")]
    problems += [problem(60, "Astronaute", column="Profession resp")]
    groups = group_problems(problems)
    assert [(g["count"], g["column"], g["value"]) for g in groups] == [
        (45, "Profession", "Astronaute"),
        (3, "Profession", "plombier"),  # case and spaces aside; the first spelling shown
        (1, "Profession resp", "Astronaute"),
    ]
    assert groups[0]["lines"] == [2, 3, 4, 5, 6]
    assert groups[0]["message"] == "Profession « Astronaute » inconnue."
    assert group_label(groups[0]) == "45 lignes : Profession « Astronaute » inconnue."


def test_many_one_line_values_are_one_group() -> None:
    names = [problem(n, f"nom{n}", code="uppercased", column="NOM") for n in range(2, 12)]
    few = [problem(n, f"id{n}", code="identifier", column="RPPS") for n in (20, 21, 22)]
    groups = group_problems(names + few)
    various = groups[0]
    assert (various["count"], various["code"], various["value"]) == (10, "uppercased", None)
    assert various["examples"] == ["nom2", "nom3", "nom4", "nom5", "nom6"]
    assert various["lines"] == [2, 3, 4, 5, 6]
    assert [(g["code"], g["value"]) for g in groups[1:]] == [
        ("identifier", "id20"),  # three values: each its own group
        ("identifier", "id21"),
        ("identifier", "id22"),
    ]
    assert group_label(various).startswith("10 lignes, valeurs différentes, par exemple : ")


def test_problems_without_value_group_by_code_and_column() -> None:
    """Reports stored before the value was kept: grouped all the same."""
    old = [{k: v for k, v in problem(n, "x").items() if k != "value"} for n in (2, 3)]
    assert [(g["count"], g["value"]) for g in group_problems(old)] == [(2, "")]


def test_the_xlsx_report_opens_on_the_synthesis() -> None:
    problems = [problem(n, "Astronaute") for n in range(2, 6)] + PROBLEMS
    data = report_xlsx(problems, {"created": 0, "addresses_generated": 3})
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == ["Synthèse", "Compte-rendu", "Totaux"]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == list(GROUP_HEADERS)
    assert rows[1][:5] == [4, "erreur (ligne rejetée)", "choice", "Profession", "Astronaute"]
    assert rows[1][6] == "2, 3, 4, 5"
    assert book.get_sheet_by_name("Compte-rendu").to_python()[1][6] == "Astronaute"
    totals = book.get_sheet_by_name("Totaux").to_python()
    assert totals[-1] == ["Adresses MSSanté générées", 3]
