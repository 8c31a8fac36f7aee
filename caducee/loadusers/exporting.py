"""Export a structure's accounts in the template's format (CSV or XLSX), streaming.

Two queries in all: the connection links of the structure, then the accounts read in
chunks. Cells are formula-safe (see cells.py) and re-import to the same values.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from caducee.accounts.export import cell_text
from caducee.accounts.fields import FIELDS, STORED
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.loadusers.cells import GUARD, guard
from caducee.loadusers.xlsx_stream import write_sheet
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

CHUNK = 2000


def _links(structure: Structure) -> dict[int, list[str]]:
    links: dict[int, list[str]] = {}
    rows = ConnectionLink.objects.filter(mailbox__structure=structure).values_list(
        "mailbox_id", "account__email"
    )
    for mailbox_id, email in rows.iterator(chunk_size=CHUNK):
        links.setdefault(mailbox_id, []).append(email)
    for emails in links.values():
        emails.sort()
    return links


def export_rows(structure: Structure) -> Iterator[list[str]]:
    """Cell texts, one list per account, in the column order of the field table."""
    links = _links(structure)
    keys = [spec.key for spec in STORED]
    stored_index = {key: i + 1 for i, key in enumerate(keys)}
    rows = (
        Account.objects.filter(structure=structure)
        .exclude(state=AccountState.DELETED)  # tombstones: not accounts to re-import
        .order_by("email")
        .values_list("pk", *keys)
    )
    for values in rows.iterator(chunk_size=CHUNK):
        row: list[str] = []
        for spec in FIELDS:
            if spec.key == "connection_accounts":
                row.append(";".join(links.get(values[0], ())))
            elif spec.key == "structure":
                row.append(structure.name)
            else:
                row.append(cell_text(spec, values[stored_index[spec.key]]))
        yield row


def _audit(ctx: Context, structure: Structure, fmt: str) -> None:
    record_event(ctx, AuditAction.LOADUSERS_EXPORT, structure=structure, detail={"format": fmt})


def export_csv(ctx: Context, structure: Structure) -> Iterator[bytes]:
    """UTF-8 with BOM, ';' separated, CRLF: what Excel (FR) opens and saves back."""
    require_admin(ctx, structure)
    _audit(ctx, structure, "csv")
    return _csv_chunks(structure)


def _csv_chunks(structure: Structure) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([spec.header for spec in FIELDS])
    for n, row in enumerate(export_rows(structure), start=1):
        writer.writerow([guard(text) for text in row])
        if n % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_csv(structure: Structure, path: str) -> None:
    """The CSV export written to a file (background exports, caducee/exports)."""
    with open(path, "wb") as out:
        for chunk in _csv_chunks(structure):
            out.write(chunk)


def export_xlsx(ctx: Context, structure: Structure) -> BinaryIO:
    """An XLSX file (every cell a string, never a formula) in a temporary file, rewound.

    Rows are written into the zip as they come (xlsx_stream), so memory stays flat
    whatever the number of accounts. The caller closes the returned file.
    """
    require_admin(ctx, structure)
    _audit(ctx, structure, "xlsx")
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(structure, path)
        result: BinaryIO = open(path, "rb")  # noqa: SIM115 - returned to the caller
    finally:
        os.unlink(path)  # the open handle keeps the data until it is closed
    return result


def write_xlsx(structure: Structure, path: str) -> None:
    """Every cell a string cell, never a formula: only a leading apostrophe needs the guard,
    so that the import's unguard gives the value back unchanged."""
    rows = (
        [guard(text) if text[:1] == GUARD else text for text in row]
        for row in export_rows(structure)
    )
    write_sheet(path, [spec.header for spec in FIELDS], rows)
