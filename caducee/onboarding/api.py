"""REST API of the service centre's « Demandes de raccordement » queue (operator only:
404 for anyone else, structure admins included, as the console pages).

Thin adapters over `caducee.onboarding.operations`. The requests themselves are sent from
the public form only (rate-limited per IP and per email), never over the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.onboarding import operations
from caducee.onboarding.access import access_request
from caducee.onboarding.models import ConnectionRequest
from caducee.onboarding.queue import existing_structures, is_overdue

router = Router(tags=["raccordement"])


class ConnectionRequestOut(Schema):
    """One request: everything the requester typed, its state and its answer."""

    id: int
    state: str
    state_label: str
    overdue: bool
    created_at: datetime
    structure_name: str
    id_type: str
    id_number: str
    address: str
    postal_code: str
    city: str
    department: str
    region: str
    last_name: str
    first_name: str
    function: str
    email: str
    phone: str
    expected_users: int
    message: str
    handled_by: str
    answered_at: datetime | None
    answer: str
    structure_id: int | None


class ConnectionRequestDetailOut(ConnectionRequestOut):
    """`existing_structures`: structures already on the platform with the request's
    identifier or name (the requester may already be a member of one)."""

    existing_structures: list[str]


class AnswerIn(Schema):
    """`accept`: true to accept (the message gives the next steps), false to refuse (the
    message is the reason). The message is emailed to the requester."""

    accept: bool
    message: str


class RequestStructureIn(Schema):
    """`domain`: the new structure's MSSanté domain, its own or a shared one (may be empty)."""

    domain: str = ""


class StructureCreatedOut(Schema):
    structure_id: int
    name: str
    request: ConnectionRequestOut


def request_out(row: ConnectionRequest) -> dict[str, Any]:
    """The JSON of a request (the API's and `caducee onboarding list --json`)."""
    return {
        "id": row.pk,
        "state": row.state,
        "state_label": row.get_state_display(),
        "overdue": is_overdue(row),
        "created_at": row.created_at,
        "structure_name": row.structure_name,
        "id_type": row.id_type,
        "id_number": row.id_number,
        "address": row.address,
        "postal_code": row.postal_code,
        "city": row.city,
        "department": row.department,
        "region": row.region,
        "last_name": row.last_name,
        "first_name": row.first_name,
        "function": row.function,
        "email": row.email,
        "phone": row.phone,
        "expected_users": row.expected_users,
        "message": row.message,
        "handled_by": row.handled_by.email if row.handled_by is not None else "",
        "answered_at": row.answered_at,
        "answer": row.answer,
        "structure_id": row.structure_id,
    }


@router.get(
    "/connection-requests",
    response=responses({200: list[ConnectionRequestOut]}, 404, 422),
    summary="Demandes de raccordement, des plus anciennes aux plus récentes (opérateur)",
)
def get_connection_requests(
    request: HttpRequest, state: str = "", older_than_hours: int | None = None
) -> Any:
    """`state`: ouvertes (nouvelles et en cours), nouvelle, en_cours, acceptee or refusee;
    `older_than_hours`: only the requests received more than that many hours ago."""
    rows = operations.list_connection_requests(
        api_context(request), state=state, older_than_hours=older_than_hours
    )
    return [request_out(row) for row in rows]


@router.get(
    "/connection-requests/{request_id}",
    response=responses({200: ConnectionRequestDetailOut}, 404),
    summary="Une demande de raccordement : tout ce que le demandeur a saisi (opérateur)",
)
def get_connection_request(request: HttpRequest, request_id: int) -> Any:
    row = access_request(api_context(request), request_id)
    return {
        **request_out(row),
        "existing_structures": [s.name for s in existing_structures(row)],
    }


@router.post(
    "/connection-requests/{request_id}/take",
    response=responses({200: ConnectionRequestOut}, 403, 404, 422),
    summary="Prendre en charge une demande de raccordement : elle passe « en cours » (opérateur)",
)
def post_take(request: HttpRequest, request_id: int) -> Any:
    ctx = api_context(request)
    row = access_request(ctx, request_id)
    return request_out(operations.take_connection_request(ctx, row))


@router.post(
    "/connection-requests/{request_id}/answer",
    response=responses({200: ConnectionRequestOut}, 403, 404, 422),
    summary="Répondre par mail à une demande de raccordement : accepter ou refuser (opérateur)",
)
def post_answer(request: HttpRequest, request_id: int, payload: AnswerIn) -> Any:
    ctx = api_context(request)
    row = access_request(ctx, request_id)
    answered = operations.answer_connection_request(
        ctx, row, accept=payload.accept, message=payload.message
    )
    return request_out(answered)


@router.post(
    "/connection-requests/{request_id}/structure",
    response=responses({201: StructureCreatedOut}, 403, 404, 422),
    summary="Créer la structure depuis une demande de raccordement (opérateur)",
)
def post_structure(request: HttpRequest, request_id: int, payload: RequestStructureIn) -> Any:
    ctx = api_context(request)
    row = access_request(ctx, request_id)
    structure = operations.create_structure_from_request(ctx, row, domain=payload.domain)
    return Status(
        201, {"structure_id": structure.pk, "name": structure.name, "request": request_out(row)}
    )
