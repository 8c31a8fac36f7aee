"""What can be exported in the background: rows to count, a file to write, a file name.

Each kind reuses its app's own export code (the same cells as the immediate download).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from caducee.core.errors import NotFound
from caducee.structures.models import Structure

# The Content-Type of an export file, by format.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "fhir": "application/fhir+json; charset=utf-8",
    "pipe": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str  # French, shown in « Mes exports »
    formats: tuple[str, ...]
    rows: Callable[[Structure], int]
    write: Callable[[Structure, str, str], None]  # (structure, format, path)
    file_name: Callable[[Structure, str], str]


def _account_rows(structure: Structure) -> int:
    from caducee.accounts.models import Account

    return Account.objects.filter(structure=structure).count()


def _write_accounts(structure: Structure, fmt: str, path: str) -> None:
    from caducee.loadusers.exporting import write_csv, write_xlsx

    if fmt == "csv":
        write_csv(structure, path)
    else:
        write_xlsx(structure, path)


ACCOUNTS = ExportKind(
    name="accounts",
    label="Liste d'utilisateurs",
    formats=("csv", "xlsx"),
    rows=_account_rows,
    write=_write_accounts,
    file_name=lambda structure, fmt: f"utilisateurs-{structure.pk}.{fmt}",
)


def _write_publication(structure: Structure, fmt: str, path: str) -> None:
    from caducee.directory.publication import publication_text

    with open(path, "w", encoding="utf-8") as out:
        out.write(publication_text(structure, fmt))


PUBLICATION = ExportKind(
    name="publication",
    label="Publication nationale (annuaire)",
    formats=("fhir", "pipe"),
    rows=_account_rows,
    write=_write_publication,
    file_name=lambda structure, fmt: (
        f"publication-{structure.pk}.{'json' if fmt == 'fhir' else 'txt'}"
    ),
)

KINDS: dict[str, ExportKind] = {kind.name: kind for kind in (ACCOUNTS, PUBLICATION)}


def kind_of(name: str) -> ExportKind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound("Type d'export inconnu.")
    return kind
