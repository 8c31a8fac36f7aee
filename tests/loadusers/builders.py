"""Loaduser files for tests, built from the field table and the account factories."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import xlsxwriter

from caducee.accounts.fields import BY_KEY, FIELDS
from tests.factories import account_data


def headers(keys: Iterable[str] | None = None) -> list[str]:
    wanted = list(keys) if keys is not None else [spec.key for spec in FIELDS]
    return [BY_KEY[key].header for key in wanted]


def line(kind: str, email: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid line of this type, keyed by spec key (ORG lines need their link overridden)."""
    return account_data(kind, email, **overrides)


def rows_for(lines: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[list[Any]]:
    return [[data.get(key, "") for key in keys] for data in lines]


def csv_bytes(
    lines: Sequence[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
    *,
    header: Sequence[str] | None = None,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> bytes:
    keys = list(keys) if keys is not None else [spec.key for spec in FIELDS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(header) if header is not None else headers(keys))
    for row in rows_for(lines, keys):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def xlsx_bytes(
    lines: Sequence[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
    *,
    header: Sequence[str] | None = None,
) -> bytes:
    """Cells keep their Python type: numbers and dates as a spreadsheet would store them."""
    keys = list(keys) if keys is not None else [spec.key for spec in FIELDS]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for col, text in enumerate(list(header) if header is not None else headers(keys)):
        sheet.write_string(0, col, text)
    for r, row in enumerate(rows_for(lines, keys), start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool | int | float):
                sheet.write_number(r, col, value)
            elif hasattr(value, "year"):
                sheet.write_datetime(r, col, value, date_format)
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    return buffer.getvalue()


# --- Hand-built workbooks (hostile ones included) ---------------------------------------

NS = "http://schemas.openxmlformats.org"


def xlsx_sheet(sheet_xml: str, *, name: str = "Comptes", doctype: str = "") -> bytes:
    """A minimal XLSX whose only sheet holds `sheet_xml` (inside <worksheet>)."""
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{NS}/package/2006/content-'
        'types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{NS}/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{NS}/spreadsheetml/2006/main" '
        f'xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="{name}" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{NS}/package/'
        f'2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?>{doctype}<worksheet xmlns="{NS}/'
        f'spreadsheetml/2006/main">{sheet_xml}</worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in parts.items():
            archive.writestr(member, text)
    return buffer.getvalue()


HEADER_CELL = '<c r="A1" t="inlineStr"><is><t>Adresse mail</t></is></c>'


def xlsx_corners(far: str = "XFD1048576", *, dimension: bool = True) -> bytes:
    """The bomb of security issue #11: two cells, A1 and `far` (1.5 KB)."""
    row = "".join(ch for ch in far if ch.isdigit())
    declared = f'<dimension ref="A1:{far}"/>' if dimension else ""
    return xlsx_sheet(
        f'{declared}<sheetData><row r="1">{HEADER_CELL}</row>'
        f'<row r="{row}"><c r="{far}"><v>2</v></c></row></sheetData>'
    )


def ods_table(rows_xml: str, *, name: str = "Comptes") -> bytes:
    """A minimal ODS whose only table holds `rows_xml` (table:table-row elements)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{name}">{rows_xml}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ods_cell(text: str, *, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{repeated}><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def ods_row(cells: str, *, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{cells}</table:table-row>"


def xls_cells(cells: Iterable[tuple[int, int, object]], *, name: str = "Comptes") -> bytes:
    """An XLS (BIFF8, written by xlwt) with these (row, column, value) cells."""
    import xlwt  # type: ignore[import-untyped]

    book = xlwt.Workbook()
    sheet = book.add_sheet(name)
    for row, column, value in cells:
        sheet.write(row, column, value)
    book.add_sheet("Règles").write(0, 0, "règle")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
