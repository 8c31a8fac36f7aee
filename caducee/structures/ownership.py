"""Who edits which field of « Paramétrage de la structure » (issue #15, point 6).

The one table of the structure's fields: their French label and their owner. The platform
operator keeps the identity of the structure (name, identifiers, MSSanté domain: the
directory and the routing of mail depend on them); the structure's own admins edit where
and how to reach it (address, phone, contact). The operator may edit every field.

Read by `structures.operations.update_structure` (an admin changing an operator field is
refused), the console form (operator fields read-only for admins), the API and the CLI,
and rendered in docs/CONSOLE.md (a test keeps that table in step).
"""

from __future__ import annotations

OPERATOR = "operator"
ADMIN = "admin"

# Field name -> French label, in the form's order.
LABELS: dict[str, str] = {
    "name": "Raison sociale",
    "id_type": "Type d'identifiant",
    "id_number": "Numéro d'identifiant",
    "domain": "Domaine MSSanté",
    "address1": "Adresse",
    "address2": "Complément d'adresse",
    "postal_code": "Code postal",
    "city": "Ville",
    "department": "Département",
    "region": "Région",
    "phone": "Téléphone",
    "contact_name": "Contact",
    "contact_email": "Adresse mail de contact",
}

# The operator's: the structure's identity.
OPERATOR_FIELDS: tuple[str, ...] = ("name", "id_type", "id_number", "domain")
# The structure admins' (and the operator's): where and how to reach the structure.
ADMIN_FIELDS: tuple[str, ...] = (
    "address1",
    "address2",
    "postal_code",
    "city",
    "department",
    "region",
    "phone",
    "contact_name",
    "contact_email",
)
FIELDS: tuple[str, ...] = OPERATOR_FIELDS + ADMIN_FIELDS


def owner_of(field: str) -> str:
    """`operator` or `admin`; KeyError for a name that is not a structure setting."""
    if field in OPERATOR_FIELDS:
        return OPERATOR
    if field in ADMIN_FIELDS:
        return ADMIN
    raise KeyError(field)


def labels(fields: list[str] | tuple[str, ...]) -> str:
    """« Domaine MSSanté, Raison sociale »: the labels of these fields, in the form's order."""
    return ", ".join(LABELS[f] for f in FIELDS if f in fields)


def operator_fields_refusal(fields: list[str]) -> str:
    """The French refusal for an admin who changed fields the operator keeps."""
    several = len(fields) > 1
    return (
        f"{'Ces champs sont gérés' if several else 'Ce champ est géré'} par l'opérateur de "
        f"la plateforme : {labels(fields)}. En tant qu'administrateur de la structure, vous "
        f"modifiez l'adresse, le téléphone et le contact ; pour changer "
        f"{'ces champs' if several else 'ce champ'}, écrivez à l'opérateur de la plateforme."
    )
