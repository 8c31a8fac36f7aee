"""Colleagues proposed on ORG mailboxes (« Propositions de collègues », issue #15 point 8):
the structure's admins list, approve and refuse them, and set whether they are added
without validation. Thin adapters over `caducee.accounts.operations`; a person proposes
a colleague through the messaging API (`POST /mail/colleague-proposals`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.accounts import operations
from caducee.accounts.colleagues import find_proposal, structure_proposals
from caducee.accounts.models import ColleagueProposal
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import ColleagueProposalOut, colleague_proposal_out
from caducee.core.web import api_user
from caducee.structures.access import access_structure

router = Router(tags=["propositions de collègues"])
LIMIT = 500


class RefusalIn(Schema):
    """`{}` refuses without a reason; the reason is emailed to the proposer."""

    reason: str = ""


class ColleaguePolicyOut(Schema):
    """« Les utilisateurs d'une BAL organisationnelle peuvent y ajouter des collègues sans
    validation »."""

    colleagues_without_validation: bool


class ColleaguePolicyIn(Schema):
    colleagues_without_validation: bool


@router.get(
    "/structures/{structure_id}/colleague-proposals",
    response=responses({200: list[ColleagueProposalOut]}, 404, 422),
    summary="Propositions de collègues (en attente d'abord ; pending=true : seulement celles-ci)",
)
def list_proposals(request: HttpRequest, structure_id: int, pending: bool = False) -> Any:
    structure = access_structure(api_user(request), structure_id)
    rows = structure_proposals(structure)
    if pending:
        rows = rows.filter(status=ColleagueProposal.Status.PENDING)
    return [colleague_proposal_out(p) for p in rows[:LIMIT]]


@router.post(
    "/structures/{structure_id}/colleague-proposals/{proposal_id}/approve",
    response=responses({200: ColleagueProposalOut}, 403, 404, 422),
    summary="Valider une proposition (le collègue devient compte de connexion)",
)
def approve(request: HttpRequest, structure_id: int, proposal_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    proposal = find_proposal(structure, proposal_id)
    return colleague_proposal_out(
        operations.approve_colleague_proposal(api_context(request), proposal)
    )


@router.post(
    "/structures/{structure_id}/colleague-proposals/{proposal_id}/refuse",
    response=responses({200: ColleagueProposalOut}, 400, 403, 404, 422),
    summary="Refuser une proposition (motif facultatif)",
)
def refuse(request: HttpRequest, structure_id: int, proposal_id: int, payload: RefusalIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    proposal = find_proposal(structure, proposal_id)
    return colleague_proposal_out(
        operations.refuse_colleague_proposal(api_context(request), proposal, payload.reason)
    )


@router.get(
    "/structures/{structure_id}/colleague-policy",
    response=responses({200: ColleaguePolicyOut}, 404),
    summary="Ajout de collègues sans validation sur les BAL ORG de la structure",
)
def get_policy(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    return {"colleagues_without_validation": structure.colleagues_without_validation}


@router.put(
    "/structures/{structure_id}/colleague-policy",
    response=responses({200: ColleaguePolicyOut}, 400, 403, 404),
    summary="Autoriser ou non l'ajout de collègues sans validation",
)
def put_policy(request: HttpRequest, structure_id: int, payload: ColleaguePolicyIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    operations.set_colleague_policy(
        api_context(request), structure, payload.colleagues_without_validation
    )
    return {"colleagues_without_validation": structure.colleagues_without_validation}
