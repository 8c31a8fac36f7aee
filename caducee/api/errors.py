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
