"""The service centre's registration queue over the API (issue #16): list, validate,
reject, ask for a correction. The operator's (or a service-centre member's): 404 for
anyone else, as the console page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.directory.addresses import mssante_address
from caducee.registration import operations, rules
from caducee.registration.models import RegistrationRequest

router = Router(tags=["inscriptions"])


class RegistrationOut(Schema):
    """A self-registration request and everything the requester typed (`data`)."""

    id: int
    kind: str
    state: str
    region: str
    requester_email: str
    account_id: int
    account_email: str
    account_state: str
    structure_id: int
    structure: str
    structure_created: bool
    mssante_address: str
    submitted_at: str
    age_hours: int
    overdue: bool
    reason: str
    suggested_particle: str
    data: dict[str, Any]


def registration_out(request: RegistrationRequest) -> dict[str, Any]:
    account = request.account
    return {
        "id": request.pk,
        "kind": request.kind,
        "state": request.state,
        "region": request.region,
        "requester_email": request.requester_email,
        "account_id": account.pk,
        "account_email": account.email,
        "account_state": account.state,
        "structure_id": account.structure_id,
        "structure": account.structure.name,
        "structure_created": request.created_structure_id == account.structure_id,
        "mssante_address": mssante_address(account) or "",
        "submitted_at": request.submitted_at.isoformat(),
        "age_hours": request.age_hours,
        "overdue": request.overdue,
        "reason": request.reason,
        "suggested_particle": rules.suggested_particle(request),
        "data": request.data,
    }


class ValidateIn(Schema):
    """`structure_id`: attach to this existing structure; `new_structure`: to the
    structure of the form (as `--new-structure`); neither: keep the account's structure.
    `domain`: a shared domain for the structure; `particle`: the MSSanté address before @."""

    structure_id: int | None = None
    new_structure: bool = False
    domain: str = ""
    particle: str = ""


class ReasonIn(Schema):
    reason: str


class CorrectionIn(Schema):
    message: str


@router.get(
    "/registrations",
    response=responses({200: list[RegistrationOut]}, 404, 422),
    summary="Demandes d'inscription (centre de services), filtrées par état, type, région",
)
def get_registrations(
    request: HttpRequest, state: str = "", kind: str = "", region: str = "", q: str = ""
) -> Any:
    rows = operations.list_registrations(
        api_context(request), state=state, kind=kind, region=region, search=q
    )
    return [registration_out(r) for r in rows[:1000]]


@router.get(
    "/registrations/{request_id}",
    response=responses({200: RegistrationOut}, 404),
    summary="Une demande d'inscription (centre de services)",
)
def get_registration(request: HttpRequest, request_id: int) -> Any:
    return registration_out(operations.find_request(api_context(request), request_id))


@router.post(
    "/registrations/{request_id}/validate",
    response=responses({200: RegistrationOut}, 403, 404, 422),
    summary="Valider une demande d'inscription : structure, domaine partagé, adresse MSSanté",
)
def post_validate(request: HttpRequest, request_id: int, payload: ValidateIn) -> Any:
    done = operations.validate_registration(
        api_context(request),
        request_id,
        structure_id=payload.structure_id,
        new_structure=payload.new_structure,
        domain=payload.domain,
        particle=payload.particle,
    )
    return registration_out(done)


@router.post(
    "/registrations/{request_id}/reject",
    response=responses({200: RegistrationOut}, 403, 404, 422),
    summary="Rejeter une demande d'inscription, avec le motif envoyé au demandeur",
)
def post_reject(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    done = operations.reject_registration(api_context(request), request_id, payload.reason)
    return registration_out(done)


@router.post(
    "/registrations/{request_id}/correction",
    response=responses({200: RegistrationOut}, 403, 404, 422),
    summary="Demander une correction : le demandeur reçoit un lien pour modifier sa demande",
)
def post_correction(request: HttpRequest, request_id: int, payload: CorrectionIn) -> Any:
    done = operations.ask_correction(api_context(request), request_id, payload.message)
    return registration_out(done)


class MemberIn(Schema):
    email: str


class MemberOut(Schema):
    email: str


@router.get(
    "/registration-centre",
    response=responses({200: list[MemberOut]}, 404),
    summary="Membres du centre de services (opérateur)",
)
def get_members(request: HttpRequest) -> Any:
    ctx = api_context(request)
    if not ctx.is_operator:
        from caducee.core.errors import NotFound

        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    return [{"email": u.email} for u in rules.centre_members()]


@router.post(
    "/registration-centre",
    response=responses({200: MemberOut}, 403, 404),
    summary="Ajouter une personne au centre de services (opérateur)",
)
def post_member(request: HttpRequest, payload: MemberIn) -> Any:
    user = operations.add_centre_member(api_context(request), payload.email)
    return {"email": user.email}


@router.delete(
    "/registration-centre/{email}",
    response=responses({204: None}, 403, 404),
    summary="Retirer une personne du centre de services (opérateur)",
)
def delete_member(request: HttpRequest, email: str) -> Any:
    from ninja import Status

    operations.remove_centre_member(api_context(request), email)
    return Status(204, None)
