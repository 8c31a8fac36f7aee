"""The pipe-separated public extraction (31 columns, one PER or ORG mailbox a line)."""

from __future__ import annotations

from collections.abc import Iterable

from caducee.directory.pipe_columns import PIPE_COLUMNS, PIPE_TYPES
from caducee.directory.publication_rows import PublicationRow, profession_label, specialty_label

__all__ = ["PIPE_COLUMNS", "PIPE_TYPES", "pipe_row", "pipe_text"]


def _pipe_cell(value: str) -> str:
    return " ".join(value.replace("|", " ").split())


def pipe_row(rec: PublicationRow) -> list[str]:
    account = rec.account
    structure = account.structure
    person = rec.person_id
    struct = rec.structure_id
    is_person = rec.bal_type == "PER"
    row = {
        "Type de BAL": rec.bal_type,
        "Adresse BAL": rec.address,
        "Type Identifiant PP": ("8" if person.kind == "RPPS" else "0") if person else "",
        "Identifiant PP": person.number if person else "",
        "Identification nationale PP": person.value if person else "",
        "Type identifiant structure": struct.prefix if struct else "",
        "Identification Structure": struct.value if struct else "",
        "Service de rattachement": rec.service,
        "Civilité d'exercice": account.civility,
        "Nom d'exercice": account.last_name if is_person else "",
        "Prénom d'exercice": account.first_name if is_person else "",
        "Code Profession": account.profession if is_person else "",
        "Libellé Profession": profession_label(account.profession) if is_person else "",
        "Code savoir-faire": account.specialty if is_person else "",
        "Libellé savoir-faire": specialty_label(account.specialty) if is_person else "",
        "Dématérialisation": "O" if rec.dematerialisation else "N",
        "Raison Sociale structure BAL": account.company_name or structure.name,
        "L2COMPLEMENTLOCALISATION structure BAL": account.address2,
        "L4LIBELLEVOIE structure BAL": account.address1,
        "L6LIGNEACHEMINEMENT structure BAL": f"{account.postal_code} {account.city}".strip(),
        "Code postal structure BAL": account.postal_code,
        "Département structure BAL": account.department,
        "Pays structure BAL": "France",
    }
    return [_pipe_cell(row.get(column, "")) for column in PIPE_COLUMNS]


def pipe_text(records: Iterable[PublicationRow]) -> str:
    lines = ["|".join(PIPE_COLUMNS)]
    for rec in records:
        if rec.bal_type in PIPE_TYPES:
            lines.append("|".join(pipe_row(rec)))
    return "\n".join(lines) + "\n"
