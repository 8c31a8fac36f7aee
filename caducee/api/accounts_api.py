"""Accounts (mailboxes): thin adapters over `caducee.accounts.operations`.

Fields, in and out, are the columns of the field table (`api.serializers`); a refusal
names each faulty column by its key (`problems[].field`), as the loaduser importer does.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts import operations
from caducee.accounts.access import access_account
from caducee.accounts.queries import read_accounts
from caducee.api.auth import api_context
from caducee.api.errors import ProblemOut, responses
from caducee.api.serializers import (
    AccountFieldsIn,
    AccountOut,
    account_out,
    raw_fields,
)
from caducee.core.errors import Problem
from caducee.core.web import api_user
from caducee.lifecycle.rules import expiring_soon_by
from caducee.structures.access import access_structure

router = Router(tags=["comptes"])


class AccountIn(Schema):
    """A new mailbox: its columns (`fields.type` is required) and its options."""

    fields: AccountFieldsIn  # type: ignore[valid-type]
    visible: bool = False
    is_test: bool = False
    notify: bool = True  # a new nominative account's owner gets the finalisation email


class AccountUpdateIn(Schema):
    """The columns to change; the others keep their value."""

    fields: AccountFieldsIn  # type: ignore[valid-type]


class TypeChangeIn(Schema):
    """The new type, and the columns it requires that the account does not hold yet."""

    type: str
    fields: AccountFieldsIn | None = None  # type: ignore[valid-type]


class OutcomeOut(Schema):
    """The account after a write, and the warnings (recommended columns left empty…)."""

    account: AccountOut
    warnings: list[ProblemOut]


class TypePreviewOut(Schema):
    type: str
    problems: list[ProblemOut]


def _problem_out(problem: Problem) -> dict[str, str]:
    return {
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
        "severity": problem.severity,
    }


def _outcome_out(outcome: operations.Outcome) -> dict[str, Any]:
    return {
        "account": account_out(outcome.account),
        "warnings": [_problem_out(p) for p in outcome.warnings],
    }


@router.get(
    "/structures/{structure_id}/accounts",
    response=responses({200: list[AccountOut]}, 404, 422),
    summary="Comptes d'une structure (1 000 au plus ; filtres q, state, type, expiring)",
)
def list_accounts(
    request: HttpRequest,
    structure_id: int,
    q: str = "",
    state: str = "",
    type: str = "",
    expiring: bool = False,
) -> Any:
    """`expiring=true`: « Expire bientôt », open accounts whose « Date de péremption » is
    within `CADUCEE_EXPIRING_SOON_DAYS` (30) days. Deleted accounts only with
    `state=supprime`."""
    structure = access_structure(api_user(request), structure_id)
    expiring_by = expiring_soon_by() if expiring else None
    accounts = read_accounts(
        api_context(request), structure, q, state, type, expiring_by=expiring_by
    )
    return [account_out(a) for a in accounts]


@router.post(
    "/structures/{structure_id}/accounts",
    response=responses({201: OutcomeOut}, 400, 403, 404, 422),
    summary="Créer un compte",
)
def create_account(request: HttpRequest, structure_id: int, payload: AccountIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    outcome = operations.create_account(
        api_context(request),
        structure,
        raw_fields(payload.fields),
        visible=payload.visible,
        is_test=payload.is_test,
        notify=payload.notify,
    )
    return Status(201, _outcome_out(outcome))


@router.get(
    "/accounts/{account_id}", response=responses({200: AccountOut}, 404), summary="Un compte"
)
def get_account(request: HttpRequest, account_id: int) -> Any:
    return account_out(access_account(api_user(request), account_id))


@router.patch(
    "/accounts/{account_id}",
    response=responses({200: OutcomeOut}, 400, 403, 404, 422),
    summary="Modifier les champs d'un compte (le type et l'adresse ont leurs propres routes)",
)
def update_account(request: HttpRequest, account_id: int, payload: AccountUpdateIn) -> Any:
    account = access_account(api_user(request), account_id)
    outcome = operations.update_account(api_context(request), account, raw_fields(payload.fields))
    return _outcome_out(outcome)


@router.post(
    "/accounts/{account_id}/deactivate",
    response=responses({200: AccountOut}, 403, 404),
    summary="Désactiver un compte",
)
def deactivate_account(request: HttpRequest, account_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    return account_out(operations.deactivate_account(api_context(request), account))


@router.post(
    "/accounts/{account_id}/reactivate",
    response=responses({200: AccountOut}, 403, 404),
    summary="Réactiver un compte",
)
def reactivate_account(request: HttpRequest, account_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    return account_out(operations.reactivate_account(api_context(request), account))


@router.get(
    "/accounts/{account_id}/type-preview",
    response=responses({200: TypePreviewOut}, 404, 422),
    summary="Ce que le nouveau type exige encore de ce compte (sans rien changer)",
)
def preview_type_change(request: HttpRequest, account_id: int, type: str) -> Any:
    account = access_account(api_user(request), account_id)
    kind = type.strip().upper()
    return {
        "type": kind,
        "problems": [_problem_out(p) for p in operations.preview_type_change(account, kind)],
    }


@router.post(
    "/accounts/{account_id}/type",
    response=responses({200: OutcomeOut}, 400, 403, 404, 422),
    summary="Changer le type de BAL",
)
def change_type(request: HttpRequest, account_id: int, payload: TypeChangeIn) -> Any:
    account = access_account(api_user(request), account_id)
    raw = raw_fields(payload.fields) if payload.fields is not None else None
    outcome = operations.change_type(api_context(request), account, payload.type, raw)
    return _outcome_out(outcome)
