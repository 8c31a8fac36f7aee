"""The API's error bodies, typed, and the statuses each route declares in its schema.

Every route lists the statuses it may answer with `responses(...)`, so the OpenAPI schema
says exactly what a client can receive (schemathesis checks it against the live server):

    @router.post("/x", response=responses({201: XOut}, 403, 404, 422))

401 and 429 (authentication) are added to every authenticated route by `responses` itself.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """A refusal: `detail` says in French what is wrong and how to go on."""

    detail: str


class ProblemOut(Schema):
    field: str
    code: str
    message: str
    severity: str


class InvalidOut(Schema):
    """422: the input breaks rules; one problem per field, with a stable code."""

    detail: str
    problems: list[ProblemOut]


ERROR_BODIES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: InvalidOut,
    429: ErrorOut,
}
AUTHENTICATION = (401, 429)


def responses(success: dict[int, Any], *errors: int, authenticated: bool = True) -> dict[int, Any]:
    """The `response=` mapping of a route: its success bodies plus typed error bodies."""
    mapping: dict[int, Any] = dict(success)
    for status in (*errors, *(AUTHENTICATION if authenticated else ())):
        mapping[status] = ERROR_BODIES[status]
    return mapping


# --- Requests the schema itself refuses (django-ninja / pydantic) ----------------------------

# pydantic's error types, said in French; any other type gets the generic message.
_SCHEMA_MESSAGES = {
    "missing": "Champ obligatoire : ajoutez-le.",
    "string_type": "Texte attendu.",
    "int_type": "Nombre entier attendu.",
    "int_parsing": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu (sans décimale).",
    "bool_type": "Valeur true ou false attendue.",
    "bool_parsing": "Valeur true ou false attendue.",
    "list_type": "Liste attendue.",
    "dict_type": "Objet JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "json_invalid": "Le corps de la requête n'est pas du JSON valide.",
    "greater_than_equal": "Valeur trop petite.",
    "less_than_equal": "Valeur trop grande.",
    "string_too_long": "Texte trop long.",
    "string_too_short": "Texte trop court.",
    "date_from_datetime_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_parsing": "Date attendue (AAAA-MM-JJ).",
    "enum": "Valeur non reconnue.",
    "literal_error": "Valeur non reconnue.",
}
SCHEMA_DETAIL = (
    "La requête ne respecte pas le schéma de l'API : corrigez les champs signalés "
    "(voir /api/v1/docs)."
)


def schema_problems(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The InvalidOut body of a request refused by the schema (wrong type, missing field):
    one problem per error, `field` the dotted location after body/query/path."""
    problems = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in {"payload", "data", "body"}:
            loc = loc[1:]
        kind = str(error.get("type", "invalid"))
        problems.append(
            {
                "field": ".".join(loc),
                "code": kind,
                "message": _SCHEMA_MESSAGES.get(kind, "Valeur invalide."),
                "severity": "error",
            }
        )
    return {"detail": SCHEMA_DETAIL, "problems": problems}
