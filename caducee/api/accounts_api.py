"""Structures and accounts, read side; the schema is derived from the field table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field, create_model

from caducee.accounts.access import access_account
from caducee.accounts.export import keyed_values
from caducee.accounts.fields import FIELDS
from caducee.accounts.models import Account
from caducee.accounts.queries import read_accounts
from caducee.api.auth import api_context
from caducee.structures.access import access_structure, structures_for_admin

router = Router(tags=["comptes"])


class StructureOut(Schema):
    id: int
    name: str
    id_type: str
    id_number: str
    domain: str | None


# One attribute per column of the field table, documented with its seed 002 header.
AccountFields = create_model(  # type: ignore[call-overload]
    "AccountFields",
    __base__=Schema,
    **{
        spec.key: (str, Field(..., title=spec.header, description=spec.help or spec.header))
        for spec in FIELDS
    },
)


class AccountOut(Schema):
    id: int
    email: str
    type: str
    state: str
    visible: bool
    fields: AccountFields  # type: ignore[valid-type]


def account_out(account: Account) -> dict[str, Any]:
    return {
        "id": account.pk,
        "email": account.email,
        "type": account.type,
        "state": account.state,
        "visible": account.visible,
        "fields": keyed_values(account),
    }


@router.get("/structures", response=list[StructureOut], summary="Structures administrées")
def list_structures(request: HttpRequest) -> Any:
    return list(structures_for_admin(request.auth))  # type: ignore[attr-defined]


@router.get(
    "/structures/{structure_id}/accounts",
    response=list[AccountOut],
    summary="Comptes d'une structure",
)
def list_accounts(
    request: HttpRequest, structure_id: int, q: str = "", state: str = "", type: str = ""
) -> Any:
    structure = access_structure(request.auth, structure_id)  # type: ignore[attr-defined]
    accounts = read_accounts(api_context(request), structure, q, state, type)
    return [account_out(a) for a in accounts]


@router.get("/accounts/{account_id}", response=AccountOut, summary="Un compte")
def get_account(request: HttpRequest, account_id: int) -> Any:
    return account_out(access_account(request.auth, account_id))  # type: ignore[attr-defined]
