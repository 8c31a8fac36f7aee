"""The XLSX template's « Listes » sheet: every code and label of the list columns."""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook

from caducee.loadusers.template import list_names, template_xlsx
from caducee.referentials import lists


def test_the_list_columns_are_named_once_in_column_order() -> None:
    assert list_names() == [
        "departements",
        "regions",
        "professions",
        "specialites",
        "diplomes",
        "civilites",
    ]


def test_the_lists_sheet_holds_every_code_and_label() -> None:
    book = CalamineWorkbook.from_filelike(io.BytesIO(template_xlsx()))
    assert book.sheet_names == ["Comptes", "Règles", "Listes"]
    rows = book.get_sheet_by_name("Listes").to_python()
    for index, name in enumerate(list_names()):
        referential = lists.by_name(name)
        col = index * 3
        assert rows[0][col : col + 2] == [
            f"{referential.title} : code",
            f"{referential.title} : libellé",
        ]
        written = [(row[col], row[col + 1]) for row in rows[1:] if row[col] != ""]
        assert written == [(e.code, e.label) for e in referential]
    professions = list_names().index("professions") * 3
    assert ["L10", "Secrétaire médical(e)"] in [r[professions : professions + 2] for r in rows]
