"""Loaduser files for tests, built from the field table and the account factories."""

from __future__ import annotations

import csv
import io
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
