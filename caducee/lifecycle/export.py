"""« Exporter la liste des comptes inactifs supprimés depuis 6 mois (et prochainement
supprimés) »: the rows, and the CSV or XLSX file (same cell guard and writer as the
account export of `loadusers`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from caducee.accounts.models import Account
from caducee.directory.addresses import mssante_address
from caducee.exports.kinds import CONTENT_TYPES
from caducee.lifecycle.models import Deletion
from caducee.lifecycle.planning import first_warnings, planned_deletion
from caducee.lifecycle.rules import WARNING_DAYS, inactivity_candidates, local_day
from caducee.loadusers.cells import guard
from caducee.loadusers.xlsx_stream import write_sheet
from caducee.structures.models import Structure

HEADERS = (
    "État",
    "Adresse mail",
    "Adresse MSSanté",
    "Nom",
    "Prénom",
    "Type de BAL",
    "Dernière activité",
    "Supprimé le / suppression prévue le",
)
DELETED_MONTHS = 6


@dataclass(frozen=True)
class ExportFile:
    name: str
    content_type: str
    data: bytes


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it has fewer)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in range(day.day, 0, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 1 always exists


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_day(value)
    return value.strftime("%d/%m/%Y")


def _deleted(structure: Structure, on: date) -> Iterator[list[str]]:
    """Deleted for inactivity by a run of the last 6 months (days of the runs, `--today`)."""
    deletions = (
        Deletion.objects.filter(
            account__structure=structure,
            deleted_on__gte=months_before(on, DELETED_MONTHS),
            deleted_on__lte=on,
        )
        .select_related("account")
        .order_by("deleted_on", "account__email")
    )
    for deletion in deletions:
        account = deletion.account
        yield [
            "Supprimé",
            account.email,
            deletion.mssante_address,
            account.last_name,
            account.first_name,
            account.type,
            _day(deletion.last_activity_at),
            _day(deletion.deleted_on),
        ]


def _soon(structure: Structure, on: date) -> Iterator[list[str]]:
    candidates = list(
        inactivity_candidates(
            Account.objects.filter(structure=structure).select_related("structure"),
            max(WARNING_DAYS),
            on,
        )
    )
    warned = first_warnings(candidates)
    rows = []
    for account in candidates:
        planned = planned_deletion(account, on, warned)
        rows.append((planned, account))
    rows.sort(key=lambda item: (item[0] or on, item[1].email))
    for planned, account in rows:
        yield [
            "Suppression prévue",
            account.email,
            mssante_address(account) or "",
            account.last_name,
            account.first_name,
            account.type,
            _day(account.last_activity_at),  # type: ignore[attr-defined]
            _day(planned),
        ]


def export_rows(structure: Structure, on: date) -> Iterator[list[str]]:
    """Mailboxes of the structure deleted for inactivity in the last 6 months, then those
    whose deletion is due within 30 days."""
    yield from _deleted(structure, on)
    yield from _soon(structure, on)


def build_export(structure: Structure, fmt: str, on: date, rows: list[list[str]]) -> ExportFile:
    name = f"comptes-inactifs-{structure.pk}-{on.isoformat()}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # what Excel (FR) opens as UTF-8
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows([guard(cell) for cell in row] for row in rows)
        return ExportFile(name, CONTENT_TYPES["csv"], buffer.getvalue().encode("utf-8"))
    out = io.BytesIO()
    write_sheet(out, HEADERS, rows, sheet_name="Inactifs")  # text cells, never formulas
    return ExportFile(name, CONTENT_TYPES["xlsx"], out.getvalue())
