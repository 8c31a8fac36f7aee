"""The column table of docs/LOADUSERS.md, generated from the field table.

Regenerate with: .venv/bin/python -m caducee.loadusers.columns_doc
(tests/loadusers/test_docs.py checks that the document shows the current table).
"""

from __future__ import annotations

from caducee.accounts.fields import FIELDS, TYPES, Kind

BEGIN = "<!-- loaduser-columns:begin -->"
END = "<!-- loaduser-columns:end -->"

ACCEPTED = {
    Kind.TEXT: "text",
    Kind.UPPER: "text, put in capitals (warning)",
    Kind.EMAIL: "email address, put in lower case (warning)",
    Kind.RPPS: "11 digits (spaces removed, warning)",
    Kind.ADELI: "9 digits (spaces removed, warning)",
    Kind.POSTAL_CODE: "5 digits; 4 digits get their leading 0 back (warning)",
    Kind.PHONE: "digits, optional +; separators removed (warning); a number cell gets its 0",
    Kind.LIST: "code or label of the list, as HR files write it (see *Libellés acceptés*)",
    Kind.YES_NO: "OUI / NON (also O / N)",
    Kind.MAILBOX_TYPE: "PER, INT, ORG, MED or APP",
    Kind.STRUCTURE_ID_TYPE: "FINESS, SIREN, SIRET or 1, 2, 3",
    Kind.STRUCTURE_ID: "FINESS, SIREN or SIRET number (checked)",
    Kind.PERSON_ID: "RPPS (ADELI for APP) of the person in charge",
    Kind.PARTICLE: "part before @, lower case letters, digits, . _ -",
    Kind.DATE: "AA-MM-JJ, JJ/MM/AAAA or a spreadsheet date",
    Kind.EMAIL_LIST: "emails separated by ; (accounts existing or created by the file)",
    Kind.STRUCTURE: "exact name of a structure you administer (empty: the chosen one)",
}


def render_columns() -> str:
    rows = [
        BEGIN,
        "| Column (template header) | Also recognised | " + " | ".join(TYPES) + " | Accepted |",
        "|---|---|" + "---|" * len(TYPES) + "---|",
    ]
    for spec in FIELDS:
        aliases = ", ".join(spec.aliases) or "—"
        rules = " | ".join(spec.rule(kind).value for kind in TYPES)
        rows.append(f"| {spec.header} | {aliases} | {rules} | {ACCEPTED[spec.kind]} |")
    rows.append(END)
    return "\n".join(rows)


if __name__ == "__main__":
    print(render_columns())
