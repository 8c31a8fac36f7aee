"""The platform's MSSanté domains for the operator: list them, declare a shared one.

A thin adapter over `caducee.structures.domains` (the operation `declare_domain` refuses
anyone but the operator: 403); the list is the operator's only (404 for anyone else, as
the other operator pages). A structure is put on a shared domain through its own
settings: `PATCH /api/v1/structures/{structure_id}` with `domain`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import DomainOut, domain_out
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.structures import operations
from caducee.structures.domains import DomainRow, list_domains

router = Router(tags=["structures"])


class DomainIn(Schema):
    """`name`: a DNS name ending in .mssante.fr; `shared` (as `--shared`): many structures
    may use it."""

    name: str
    shared: bool = False


@router.get(
    "/domains",
    response=responses({200: list[DomainOut]}, 404),
    summary="Domaines MSSanté de la plateforme (opérateur)",
)
def get_domains(request: HttpRequest) -> Any:
    user = api_user(request)
    if not (user.is_active and user.is_operator):
        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    return [domain_out(row) for row in list_domains()]


@router.post(
    "/domains",
    response=responses({201: DomainOut}, 400, 403, 422),
    summary="Déclarer un domaine MSSanté de la plateforme, partagé avec « shared » (opérateur)",
)
def post_domain(request: HttpRequest, payload: DomainIn) -> Any:
    domain = operations.declare_domain(api_context(request), payload.name, shared=payload.shared)
    return Status(201, domain_out(DomainRow(domain, 0)))
