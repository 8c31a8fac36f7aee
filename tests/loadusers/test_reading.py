"""Reading loaduser files: encodings, delimiters, headers, spreadsheets, hostile input."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caducee.loadusers.cells import guard, unguard
from caducee.loadusers.reading import FileRefused, match_header, open_table
from tests.loadusers.builders import csv_bytes, line, xlsx_bytes


def read_all(data: bytes, name: str = "f.csv") -> tuple[list[str], list[tuple[int, list[object]]]]:
    table = open_table(data, name)
    return table.header.written, list(table.rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_encodings_and_delimiters(encoding: str, delimiter: str) -> None:
    data = csv_bytes(
        [{"email": "a@b.fr", "first_name": "Hélène", "city": "ÉVRY"}],
        ["email", "first_name", "city"],
        delimiter=delimiter,
        encoding=encoding,
    )
    written, rows = read_all(data)
    assert written == ["Adresse mail", "Prénom", "VILLE"]
    assert rows == [(2, ["a@b.fr", "Hélène", "ÉVRY"])]


def test_headers_are_matched_by_folded_name_and_alias() -> None:
    header = match_header(["ADRESSE MAIL", " prénom ", "Type de BAL", "Code  postal", "Inconnue"])
    assert header.columns == {"email": 0, "first_name": 1, "type": 2, "postal_code": 3}
    assert header.unknown == [(4, "Inconnue")]
    assert header.header_of("type") == "Type de BAL"
    assert header.header_of("city") == "VILLE"  # absent: the template's name


def test_duplicate_columns_keep_the_first() -> None:
    header = match_header(["NOM", "Nom"])
    assert header.columns == {"last_name": 0}
    assert header.duplicates == [(1, "Nom")]


def test_xlsx_line_numbers_and_types() -> None:
    data = xlsx_bytes(
        [{"email": "a@b.fr", "phone1": 612345678}, {}, {"email": "c@d.fr"}], ["email", "phone1"]
    )
    written, rows = read_all(data, "f.xlsx")
    assert written == ["Adresse mail", "Téléphone (1)"]
    assert rows[0] == (2, ["a@b.fr", 612345678])
    assert rows[-1][0] == 4


def test_xls_is_read_by_calamine() -> None:
    xlwt = pytest.importorskip("xlwt")  # in the test extra
    book = xlwt.Workbook()
    sheet = book.add_sheet("Comptes")
    for col, text in enumerate(["Adresse mail", "NOM", "CP"]):
        sheet.write(0, col, text)
    sheet.write(1, 0, "a@b.fr")
    sheet.write(1, 1, "DUPONT")
    sheet.write(1, 2, 75012)
    buffer = io.BytesIO()
    book.save(buffer)
    written, rows = read_all(buffer.getvalue(), "vieux.xls")
    assert written == ["Adresse mail", "NOM", "CP"]
    assert rows == [(2, ["a@b.fr", "DUPONT", 75012.0])]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "f.csv", "vide"),
        (b"   \r\n", "f.csv", "vide"),
        (b"\r\nAdresse mail\r\n", "f.csv", "ligne 1"),
        (b"not a zip", "f.xlsx", "XLSX"),
        (b"PK\x03\x04garbage", "f.xlsx", "endommag"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1garbage", "f.xls", "illisible"),
        (b"a\x00b;c\r\n", "f.csv", "octets nuls"),
    ],
)
def test_unusable_files_are_refused_clearly(data: bytes, name: str, words: str) -> None:
    with pytest.raises(FileRefused) as caught:
        read_all(data, name)
    assert words in caught.value.message


@override_settings(CADUCEE_UPLOAD_MAX_MB=1)
def test_size_limit() -> None:
    with pytest.raises(FileRefused) as caught:
        open_table(b"Adresse mail\r\n" + b"a@b.fr\r\n" * 200_000, "big.csv")
    assert "limite est de 1 Mo" in caught.value.message


def test_zip_bomb_is_refused_without_inflating_it() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(FileRefused) as caught:
        open_table(data, "bombe.xlsx")
    assert "bombe zip" in caught.value.message


def _xlsx_with_shared_strings(xml: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([{"email": "a@b.fr"}], ["email"])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                content = xml.encode()
            out.writestr(item.filename, content)
    return buffer.getvalue()


def test_xml_entities_are_never_expanded() -> None:
    """Billion laughs and an external entity: calamine does not expand DTD entities."""
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "lol">'
        + lol
        + '<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" '
        'uniqueCount="2"><si><t>Adresse mail</t></si><si><t>&l9;&ext;</t></si></sst>'
    )
    with pytest.raises(FileRefused) as caught:  # quick-xml: unknown entity, an error
        read_all(_xlsx_with_shared_strings(xml), "entites.xlsx")
    assert "Classeur illisible" in caught.value.message


def test_formula_guard_round_trip() -> None:
    for text in ["=1+1", "+33612345678", "-x", "@SIDEPE", "\tx", "'=already", "plain", "'quote"]:
        assert unguard(guard(text)) == text
    assert guard("=1+1") == "'=1+1"
    assert unguard("'plain") == "'plain"  # only the export's guard is removed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_csv_reader(data: bytes) -> None:
    try:
        table = open_table(data, "hasard.csv")
        for _ in table.rows:
            pass
    except FileRefused as exc:
        assert exc.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048), st.sampled_from(["f.xlsx", "f.xls", "f.csv"]))
def test_arbitrary_spreadsheet_bytes_never_crash(data: bytes, name: str) -> None:
    for blob in (b"PK\x03\x04" + data, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data):
        try:
            table = open_table(blob, name)
            for _ in table.rows:
                pass
        except FileRefused as exc:
            assert exc.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=5000), st.binary(min_size=1, max_size=64))
def test_corrupted_xlsx_never_crashes(position: int, noise: bytes) -> None:
    good = xlsx_bytes([line("MED", "a@b.fr")])
    at = position % len(good)
    data = good[:at] + noise + good[at + len(noise) :]
    try:
        table = open_table(data, "abime.xlsx")
        for _ in table.rows:
            pass
    except FileRefused as exc:
        assert exc.message
