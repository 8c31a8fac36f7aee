"""The empty loaduser template: the columns of the field table, in its order."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from caducee.accounts.fields import FIELDS, TYPES, Kind, Rule
from caducee.referentials import lists

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

RULE_LABELS = {
    Rule.O: "obligatoire",
    Rule.OSC: "obligatoire sous condition",
    Rule.R: "recommandé",
    Rule.F: "facultatif",
    Rule.NC: "doit rester vide",
}


def template_csv() -> bytes:
    """Header line only, UTF-8 with BOM (Excel opens it with the right accents), ';'."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow([f.header for f in FIELDS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """Header row on the first sheet; the rules of each column on a second sheet « Règles »;
    every code and label of the list columns on a third sheet « Listes »."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    sheet = book.add_worksheet("Comptes")
    for col, spec in enumerate(FIELDS):
        sheet.write_string(0, col, spec.header, bold)
        sheet.set_column(col, col, max(12, len(spec.header) + 2))
    sheet.freeze_panes(1, 0)
    rules = book.add_worksheet("Règles")
    heads = ["Colonne", *TYPES, "Aide"]
    for col, text in enumerate(heads):
        rules.write_string(0, col, text, bold)
    for row, spec in enumerate(FIELDS, start=1):
        rules.write_string(row, 0, spec.header)
        for col, kind in enumerate(TYPES, start=1):
            rules.write_string(row, col, spec.rule(kind).value)
        rules.write_string(row, len(TYPES) + 1, spec.help)
    rules.set_column(0, 0, 32)
    rules.set_column(len(TYPES) + 1, len(TYPES) + 1, 90)
    _lists_sheet(book.add_worksheet("Listes"), bold)
    book.close()
    return buffer.getvalue()


def list_names() -> list[str]:
    """The lists of the field table's list columns, in column order, each once."""
    names: list[str] = []
    for spec in FIELDS:
        if spec.kind is Kind.LIST and spec.referential and spec.referential not in names:
            names.append(spec.referential)
    return names


def _lists_sheet(sheet: xlsxwriter.worksheet.Worksheet, bold: xlsxwriter.format.Format) -> None:
    """Two columns per list (code, libellé), side by side, with a blank column between."""
    for index, name in enumerate(list_names()):
        referential = lists.by_name(name)
        col = index * 3
        sheet.write_string(0, col, f"{referential.title} : code", bold)
        sheet.write_string(0, col + 1, f"{referential.title} : libellé", bold)
        for row, entry in enumerate(referential, start=1):
            sheet.write_string(row, col, entry.code)
            sheet.write_string(row, col + 1, entry.label)
        sheet.set_column(col, col, max(10, len(referential.title) + 8))
        sheet.set_column(col + 1, col + 1, 45)
    sheet.freeze_panes(1, 0)


def template_bytes(fmt: str) -> bytes:
    return template_csv() if fmt == "csv" else template_xlsx()
