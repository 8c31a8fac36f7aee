"""« Rattacher à une autre structure »: thin adapters over `caducee.accounts.moves`.

The preview and the move answer the same plan (new MSSanté address, links detached,
fields that follow, warnings); `move_plan_out` is also the CLI's `--json` output.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.accounts import operations
from caducee.accounts.access import access_account
from caducee.accounts.moves import MovePlan, move_targets
from caducee.api.auth import api_context
from caducee.api.errors import ProblemOut, responses
from caducee.api.serializers import AccountOut, account_out
from caducee.core.web import api_user
from caducee.structures.access import access_structure
from caducee.structures.models import Structure

router = Router(tags=["comptes"])


class StructureRefOut(Schema):
    id: int
    name: str
    domain: str | None


class DetachedOut(Schema):
    """A link the move removes: `kind` is `connection` (compte de connexion of `mailbox`)
    or `delegation` (`member` was the delegate of `mailbox`)."""

    kind: str
    mailbox: str
    member: str
    message: str


class MovePlanOut(Schema):
    account: AccountOut
    from_structure: StructureRefOut
    to_structure: StructureRefOut
    old_address: str | None
    new_address: str | None
    detached: list[DetachedOut]
    changes: dict[str, list[str]]
    warnings: list[ProblemOut]


class AccountMoveIn(Schema):
    structure_id: int


def structure_ref(structure: Structure) -> dict[str, Any]:
    return {"id": structure.pk, "name": structure.name, "domain": structure.domain or None}


def move_plan_out(plan: MovePlan) -> dict[str, Any]:
    return {
        "account": account_out(plan.account),
        "from_structure": structure_ref(plan.source),
        "to_structure": structure_ref(plan.target),
        "old_address": plan.old_address,
        "new_address": plan.new_address,
        "detached": [
            {"kind": d.kind, "mailbox": d.mailbox, "member": d.member, "message": d.message}
            for d in plan.detached
        ],
        "changes": plan.changes,
        "warnings": [
            {"field": p.field, "code": p.code, "message": p.message, "severity": p.severity}
            for p in plan.warnings
        ],
    }


@router.get(
    "/accounts/{account_id}/move-targets",
    response=responses({200: list[StructureRefOut]}, 404),
    summary="Structures auxquelles ce compte peut être rattaché",
)
def list_move_targets(request: HttpRequest, account_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    return [structure_ref(s) for s in move_targets(api_context(request), account)]


@router.get(
    "/accounts/{account_id}/move-preview",
    response=responses({200: MovePlanOut}, 404, 422),
    summary="Ce que changerait le rattachement à une autre structure (sans rien changer)",
)
def preview_move(request: HttpRequest, account_id: int, structure_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    target = access_structure(api_user(request), structure_id)
    return move_plan_out(operations.preview_move(api_context(request), account, target))


@router.post(
    "/accounts/{account_id}/move",
    response=responses({200: MovePlanOut}, 403, 404, 422),
    summary="Rattacher le compte à une autre structure",
)
def move_account(request: HttpRequest, account_id: int, payload: AccountMoveIn) -> Any:
    account = access_account(api_user(request), account_id)
    target = access_structure(api_user(request), payload.structure_id)
    return move_plan_out(operations.move_account(api_context(request), account, target))
