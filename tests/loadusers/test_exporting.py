"""Export in the template's format, formula-safe, and the export → import round trip."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from caducee.accounts.fields import HEADERS
from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.loadusers.exporting import export_csv, export_xlsx
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.template import template_csv, template_xlsx
from caducee.structures.models import Structure
from tests import factories


def _csv(structure: Structure) -> bytes:
    return b"".join(export_csv(cli_context(), structure))


def _xlsx(structure: Structure) -> bytes:
    with export_xlsx(cli_context(), structure) as handle:
        return handle.read()


def _sheet(data: bytes) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return list(book.get_sheet_by_index(0).to_python())


def _populate(structure: Structure) -> None:
    factories.make_account(
        structure,
        "PER",
        "per@ch-a.fr",
        company_name="=1+1",
        address2="@SIDEPE",
        phone1="+33612345678",
        expiry_date="26-12-31",
        city="saint-étienne",
    )
    factories.make_account(structure, "MED", "med@ch-a.fr", service="-moins", address1="'=déjà")
    factories.make_account(structure, "ORG", "org@ch-a.fr", connection_accounts="med@ch-a.fr")
    factories.make_account(structure, "APP", "app@ch-a.fr")
    factories.make_account(
        structure, "INT", "int@ch-a.fr", postal_code="01000", department="01", region="84"
    )


def test_template_has_the_field_table_columns_in_order() -> None:
    text = template_csv().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text), delimiter=";")) == list(HEADERS)
    assert _sheet(template_xlsx())[0] == list(HEADERS)


def test_csv_export_is_formula_safe(structure_a: Structure) -> None:
    _populate(structure_a)
    rows = list(csv.reader(io.StringIO(_csv(structure_a).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(HEADERS)
    per = next(r for r in rows if r[0] == "per@ch-a.fr")
    assert per[HEADERS.index("Raison Sociale")] == "'=1+1"
    assert per[HEADERS.index("Téléphone (1)")] == "'+33612345678"
    assert per[HEADERS.index("Date de péremption")] == "26-12-31"
    assert per[HEADERS.index("Structure")] == structure_a.name
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_export_writes_strings_never_formulas(structure_a: Structure) -> None:
    _populate(structure_a)
    data = _xlsx(structure_a)
    rows = _sheet(data)
    assert rows[0] == list(HEADERS)
    per = next(r for r in rows if r[0] == "per@ch-a.fr")
    assert per[HEADERS.index("Raison Sociale")] == "=1+1"
    assert per[HEADERS.index("Téléphone (1)")] == "+33612345678"
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml  # no formula cell at all
    org = next(r for r in rows if r[0] == "org@ch-a.fr")
    assert org[HEADERS.index("Compte(s) de connexion")] == "med@ch-a.fr"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(structure_a: Structure, fmt: str) -> None:
    _populate(structure_a)
    before = {a.email: (a.updated_at, a.company_name) for a in Account.objects.all()}
    data = _csv(structure_a) if fmt == "csv" else _xlsx(structure_a)
    result = import_loadusers(cli_context(), structure_a, data, file_name=f"export.{fmt}")
    assert [p for p in result.problems if p.is_error] == []
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0}
    after = {a.email: (a.updated_at, a.company_name) for a in Account.objects.all()}
    assert after == before
    assert Account.objects.get(email="per@ch-a.fr").expiry_date == date(2026, 12, 31)
    assert Account.objects.get(email="med@ch-a.fr").address1 == "'=déjà"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_edited_export_updates_accounts(structure_a: Structure, fmt: str) -> None:
    _populate(structure_a)
    text = _csv(structure_a).decode("utf-8-sig").replace("SAINT-ÉTIENNE", "LYON")
    result = import_loadusers(cli_context(), structure_a, text.encode("cp1252"), file_name="e.csv")
    assert result.counts["updated"] == 1
    assert Account.objects.get(email="per@ch-a.fr").city == "LYON"


def test_export_is_audited_and_scoped(structure_a: Structure, structure_b: Structure) -> None:
    from caducee.audit.models import AuditEvent

    _populate(structure_a)
    factories.make_account(structure_b, "MED", "other@b.fr")
    rows = _csv(structure_a).decode("utf-8-sig").splitlines()
    assert len(rows) == 6
    assert "other@b.fr" not in "".join(rows)
    assert AuditEvent.objects.filter(action="loadusers.export", structure=structure_a).exists()


def test_streamed_xlsx_opens_in_openpyxl_with_text_cells(tmp_path: Path) -> None:
    import openpyxl

    from caducee.loadusers.xlsx_stream import column_letters, write_sheet

    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip
    target = tmp_path / "t.xlsx"
    rows = [["=1+1", " espace ", 'a & b <c> "d"', "ctl\x01char", "", "0612345678"]]
    write_sheet(str(target), ["A", "B", "C", "D", "E", "F"], rows)
    book = openpyxl.load_workbook(target)
    sheet = book.active
    assert sheet["A1"].font.b
    assert [c.value for c in sheet[2]] == [
        "=1+1", " espace ", "a & b <c> \"d\"", "ctlchar", None, "0612345678",
    ]  # fmt: skip
    assert all(c.data_type == "s" for c in sheet[2] if c.value is not None)
    assert _sheet(target.read_bytes())[1][0] == "=1+1"
