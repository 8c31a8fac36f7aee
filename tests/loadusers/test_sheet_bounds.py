"""A workbook's sheets are measured before calamine sees them (security issue #11, H2)."""

from __future__ import annotations

import io
import zipfile

import pytest

from caducee.loadusers.sheet_bounds import (
    LIMITS,
    Limits,
    SheetRefused,
    column_name,
    measure,
    parse_ref,
)
from tests.loadusers.builders import (
    HEADER_CELL,
    line,
    ods_cell,
    ods_row,
    ods_table,
    xls_cells,
    xlsx_bytes,
    xlsx_corners,
    xlsx_sheet,
)

SMALL = Limits(rows=10, columns=5, cells=30)


def refusal(data: bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(SheetRefused) as caught:
        measure(data, limits)
    return caught.value.message


def test_refs_and_column_names() -> None:
    assert parse_ref("XFD1048576") == (1048576, 16384)
    assert parse_ref("$b$7") == (7, 2)
    assert parse_ref("7B") is None
    assert [column_name(n) for n in (1, 26, 27, 200, 16384)] == ["A", "Z", "AA", "GR", "XFD"]


def test_the_two_corner_xlsx_is_refused_with_its_size() -> None:
    data = xlsx_corners()
    assert len(data) < 2000
    message = refusal(data)
    assert message.startswith("Le fichier déclare une feuille « Comptes » de 1\u202f048\u202f576 ")
    assert "16\u202f384 colonnes (jusqu'à la cellule XFD1048576)" in message
    assert "la limite est de 500\u202f001 lignes, 200 colonnes" in message


def test_the_far_cell_is_found_without_a_dimension() -> None:
    message = refusal(xlsx_corners(dimension=False))
    assert message.startswith("Le fichier contient une feuille « Comptes » de 1\u202f048\u202f576")


def test_a_declared_dimension_alone_is_refused() -> None:
    data = xlsx_sheet(
        f'<dimension ref="A1:XFD1048576"/><sheetData><row r="1">{HEADER_CELL}</row></sheetData>'
    )
    assert "déclare" in refusal(data)


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        # A cell placed beyond its row tag's number.
        ('<row r="1"><c r="A1"><v>1</v></c><c r="C900000"><v>2</v></c></row>', "900\u202f000"),
        # Not canonical (attribute order, quotes): the exact reading places it.
        ('<row r="1"><c t="n" r=\'ZZ1\'><v>1</v></c></row>', "702 colonnes"),
        # Prefixed tags, no r at all: positions follow one another.
        (
            '<x:row xmlns:x="urn:x">' + "<x:c><x:v>1</x:v></x:c>" * 250 + "</x:row>",
            "250 colonnes",
        ),
        # The area (rows × columns) is bounded, not only each side.
        (
            '<row r="1"><c r="GR1"><v>1</v></c></row>'
            '<row r="60000"><c r="A60000"><v>1</v></c></row>',
            "60\u202f000 lignes × 200 colonnes",
        ),
    ],
)
def test_far_cells_are_found_in_every_form(cells: str, words: str) -> None:
    assert words in refusal(xlsx_sheet(f"<sheetData>{cells}</sheetData>"))


def test_empty_formatted_cells_do_not_count() -> None:
    """Calamine skips a cell without a value: a formatted empty cell far away is harmless."""
    data = xlsx_sheet(
        f'<sheetData><row r="1">{HEADER_CELL}</row>'
        '<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>'
    )
    measure(data)


def test_a_real_workbook_passes() -> None:
    measure(xlsx_bytes([line("MED", f"m{i}@ch.fr") for i in range(30)]))


def test_limits_are_exact_at_the_boundary() -> None:
    def sheet(last: str) -> bytes:
        row = "".join(ch for ch in last if ch.isdigit())
        return xlsx_sheet(f'<sheetData><row r="{row}"><c r="{last}"><v>1</v></c></row></sheetData>')

    measure(sheet("E6"), SMALL)  # 6 × 5 = 30 cells
    assert "6 lignes × 6 colonnes" in refusal(sheet("F6"), SMALL)
    assert "11 lignes" in refusal(sheet("A11"), SMALL)
    assert "7 lignes × 5 colonnes" in refusal(sheet("E7"), SMALL)


def test_a_doctype_in_a_sheet_is_refused() -> None:
    data = xlsx_sheet("<sheetData/>", doctype='<!DOCTYPE w [<!ENTITY x "y">]>')
    assert "DOCTYPE" in refusal(data)


def test_every_sheet_is_measured_and_named() -> None:
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([line("MED")])))
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item.filename))
        out.writestr("xl/worksheets/sheet9.xml", xlsx_sheet_xml('<c r="XFD3"><v>1</v></c>'))
    assert "« sheet9.xml »" in refusal(buffer.getvalue())


def xlsx_sheet_xml(cells: str) -> str:
    return f'<worksheet><sheetData><row r="3">{cells}</row></sheetData></worksheet>'


def test_xlsb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("xl/workbook.bin", b"\x00" * 10)
    assert "XLSB" in refusal(buffer.getvalue())


# --- ODS ----------------------------------------------------------------------------------


def test_ods_repeated_cells_are_the_bomb() -> None:
    header = ods_row(ods_cell("Adresse mail"))
    bomb = ods_table(header + ods_row(ods_cell("1", repeat=16384), repeat=1048575))
    assert len(bomb) < 2000
    message = refusal(bomb)
    assert "« Comptes » de 1\u202f048\u202f576 lignes × 16\u202f384 colonnes" in message


def test_ods_far_cell_after_empty_repeated_rows_is_found() -> None:
    empty = '<table:table-cell table:number-columns-repeated="16383"/>'
    rows = ods_row(ods_cell("Adresse mail")) + ods_row(empty, repeat=1048570)
    rows += ods_row(empty + ods_cell("x"))
    assert "1\u202f048\u202f572 lignes × 16\u202f384 colonnes" in refusal(ods_table(rows))


def test_ods_trailing_empty_rows_as_libreoffice_writes_them_pass() -> None:
    empty = '<table:table-cell table:number-columns-repeated="1024"/>'
    rows = ods_row(ods_cell("Adresse mail") + empty) + ods_row(empty, repeat=1048575)
    measure(ods_table(rows))


# --- XLS ----------------------------------------------------------------------------------


def test_xls_corner_is_refused() -> None:
    message = refusal(xls_cells([(0, 0, "Adresse mail"), (65535, 255, 2)]))
    assert "« Comptes » de 65\u202f536 lignes × 256 colonnes" in message


def test_xls_cells_are_measured_beyond_the_declared_dimension() -> None:
    data = xls_cells([(0, 0, "Adresse mail"), (1, 0, "a@b.fr"), (12, 4, 2.5)])
    measure(data)
    assert "13 lignes × 5 colonnes" in refusal(data, Limits(rows=12, columns=5, cells=100))


def test_damaged_xls_is_refused() -> None:
    data = xls_cells([(0, 0, "Adresse mail")])
    assert "XLS endommagé" in refusal(data[:600])
