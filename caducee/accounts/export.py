"""An account's values as text, column by column of the field table (export, CLI, API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from caducee.accounts.fields import FIELDS, FieldSpec, Kind
from caducee.accounts.models import Account


def format_date(value: date) -> str:
    """Dates are written AA-MM-JJ, as in the loaduser file (seed 002 §3)."""
    return value.strftime("%y-%m-%d")


def cell_text(spec: FieldSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind is Kind.YES_NO:
        return "OUI" if value else "NON"
    if spec.kind is Kind.DATE and isinstance(value, date):
        return format_date(value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def export_values(account: Account, connection_emails: list[str] | None = None) -> dict[str, str]:
    """Header -> text for every column; connection emails may be given (bulk export)."""
    row: dict[str, str] = {}
    for spec in FIELDS:
        if spec.key == "connection_accounts":
            emails = connection_emails
            if emails is None:
                emails = sorted(link.account.email for link in account.connection_links.all())
            row[spec.header] = ";".join(emails)
        elif spec.key == "structure":
            row[spec.header] = account.structure.name
        else:
            row[spec.header] = cell_text(spec, getattr(account, spec.key))
    return row


def keyed_values(account: Account) -> dict[str, str]:
    """Spec key -> text for every column (JSON outputs)."""
    by_header = export_values(account)
    return {spec.key: by_header[spec.header] for spec in FIELDS}
