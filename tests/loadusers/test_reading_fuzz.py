"""Fuzzing the loaduser readers with damaged and hostile workbooks (security issue #11, H2).

Whatever the bytes, `open_table` returns lines or raises FileRefused (a French message):
never another exception, never a dead process. Sheets built with cells anywhere in the
spreadsheet grid either pass the measuring and are read by calamine within its memory
budget, or are refused by the measuring; the child never has to die for them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caducee.loadusers.reading import FileRefused, open_table
from caducee.loadusers.sheet_bounds import LIMITS, SheetRefused, column_name, measure
from tests.loadusers.builders import (
    HEADER_CELL,
    csv_bytes,
    line,
    ods_cell,
    ods_row,
    ods_table,
    xls_cells,
    xlsx_bytes,
    xlsx_corners,
    xlsx_sheet,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
SLOW_FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
SMALL_BUDGET = override_settings(
    CADUCEE_UPLOAD_PARSE_MEMORY_MB=768, CADUCEE_UPLOAD_PARSE_SECONDS=60
)

LINES = [line("MED", "a@b.fr"), line("PER", "c@d.fr")]
VALID: dict[str, bytes] = {
    "f.xlsx": xlsx_bytes(LINES),
    "f.ods": ods_table(
        ods_row(ods_cell("Adresse mail") + ods_cell("NOM")) + ods_row(ods_cell("a@b.fr"))
    ),
    "f.xls": xls_cells([(0, 0, "Adresse mail"), (0, 1, "NOM"), (1, 0, "a@b.fr"), (1, 1, 3.5)]),
    "f.csv": csv_bytes(LINES),
}


def read_or_refuse(data: bytes, name: str) -> str | None:
    """The refusal's message, or None when every line could be read."""
    try:
        table = open_table(data, name)
        for _ in table.rows:
            pass
    except FileRefused as exc:
        assert exc.message and exc.message[0].isupper()
        return exc.message
    return None


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[name])
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "repeat"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        del data[at:]
    elif kind == "splice":
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    else:
        data[at:at] = data[at : at + draw(st.integers(1, 32))] * draw(st.integers(2, 50))
    return bytes(data), name


@FUZZ
@given(mutated())
def test_measuring_damaged_workbooks_only_refuses(case: tuple[bytes, str]) -> None:
    data, name = case
    if name.endswith(".csv"):
        return
    try:
        measure(data)
    except SheetRefused as exc:
        assert exc.message


@SLOW_FUZZ
@given(mutated())
def test_damaged_files_are_read_or_refused(case: tuple[bytes, str]) -> None:
    with SMALL_BUDGET:
        read_or_refuse(*case)


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, content if item.filename == member else source.read(item))
        if member not in source.namelist():
            out.writestr(member, content)
    return buffer.getvalue()


XML_PIECES = st.sampled_from(
    [
        b"<sheetData>",
        b"</sheetData>",
        b'<row r="1">',
        b'<row r="1048576">',
        b"<row>",
        b"</row>",
        b'<c r="A1"><v>1</v></c>',
        b'<c r="XFD1048576"><v>1</v></c>',
        b'<c r="ZZ9"><v>1</v></c>',
        b"<c><v>2</v></c>",
        b'<c r="A1" t="inlineStr"><is><t>x</t></is></c>',
        b'<dimension ref="A1:XFD1048576"/>',
        b'<!DOCTYPE x [<!ENTITY a "b">]>',
        b'<table:table-row table:number-rows-repeated="1048576">',
        b'<table:table-cell office:value-type="float" table:number-columns-repeated="9999"/>',
        b"<",
        b">",
        b"&amp;",
        b"\x00",
        b"\xff\xfe",
    ]
)


@SLOW_FUZZ
@given(
    st.sampled_from(["f.xlsx", "f.ods"]),
    st.sampled_from(["xl/worksheets/sheet1.xml", "content.xml", "xl/workbook.xml", "other.xml"]),
    st.lists(XML_PIECES, max_size=12),
)
def test_any_zip_member_content_is_read_or_refused(
    name: str, member: str, pieces: list[bytes]
) -> None:
    data = _replace_member(VALID[name], member, b"".join(pieces))
    with SMALL_BUDGET:
        read_or_refuse(data, name)


@st.composite
def far_cells(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """A sheet with cells anywhere in Excel's grid, and its extent."""
    cells = draw(
        st.lists(
            st.tuples(
                st.integers(1, 1_048_576) | st.integers(1, 20),
                st.integers(1, 16_384) | st.integers(1, 40),
            ),
            min_size=1,
            max_size=6,
        )
    )
    xml = "".join(
        f'<row r="{row}"><c r="{column_name(column)}{row}"><v>1</v></c></row>'
        for row, column in sorted(cells)
    )
    rows = max(1, *(row for row, _ in cells))
    columns = max(1, *(column for _, column in cells))
    data = xlsx_sheet(f'<sheetData><row r="1">{HEADER_CELL}</row>{xml}</sheetData>')
    return data, rows, columns


@SLOW_FUZZ
@given(far_cells())
def test_far_cells_are_refused_before_calamine(case: tuple[bytes, int, int]) -> None:
    data, rows, columns = case
    within = rows <= LIMITS.rows and columns <= LIMITS.columns
    within = within and rows * columns <= LIMITS.cells
    if within and rows * columns > 100_000:
        measure(data)  # passes; calamine would take seconds to fill that many cells
        return
    with SMALL_BUDGET:
        message = read_or_refuse(data, "loin.xlsx")
    if within:
        assert message is None
    else:
        assert message is not None and "la limite est de" in message


BOMBS: dict[str, Callable[[], bytes]] = {
    "coins.xlsx": xlsx_corners,
    "coins-sans-dimension.xlsx": lambda: xlsx_corners(dimension=False),
    "repetee.ods": lambda: ods_table(
        ods_row(ods_cell("Adresse mail")) + ods_row(ods_cell("1", repeat=16384), repeat=1048575)
    ),
    "colonnes.ods": lambda: ods_table(
        ods_row(ods_cell("Adresse mail")) + ods_row(ods_cell("1", repeat=1_000_000), repeat=2000)
    ),
    "coin.xls": lambda: xls_cells([(0, 0, "Adresse mail"), (65535, 255, 2)]),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_the_bombs_are_refused_with_their_size(name: str) -> None:
    data = BOMBS[name]()
    assert len(data) < 8000
    message = read_or_refuse(data, name)
    assert message is not None
    assert "lignes ×" in message and "la limite est de 500\u202f001 lignes" in message
