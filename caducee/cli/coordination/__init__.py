"""`caducee coordination …`: every action of the coordination console, for an operator
with shell access. Each command calls the same operation as the console and the API
(caducee/coordination/operations), as the server itself (`cli_context()`), so every
change is audited with the channel `cli`.

- records.py: dossiers usagers, cahier de liaison, documents;
- directory.py: annuaire des contacts, partenaires d'un dossier;
- rights.py: profils de droits, droits d'accès, comptes externes.
"""

from __future__ import annotations

from typing import Any

from caducee.cli.coordination import directory, records, rights


def register(commands: Any) -> None:
    coordination = commands.add_parser(
        "coordination",
        help="coordination : dossiers usagers, cahier de liaison, documents, contacts, "
        "partenaires, profils de droits, comptes externes",
    )
    sub = coordination.add_subparsers(title="actions", metavar="ACTION", required=True)
    records.register(sub)
    directory.register(sub)
    rights.register(sub)
