"""Email-change requests: thin adapters over `caducee.accounts.email_changes`.

A request mails a confirmation link to the new address; the address changes only when
its owner opens it (there is no API route for that: it is the new owner's, not an admin's).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts import email_changes
from caducee.accounts.access import access_account
from caducee.accounts.queries import email_change_history, email_change_of, pending_email_changes
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import EmailChangeOut, email_change_out
from caducee.core.web import api_user
from caducee.structures.access import access_structure

router = Router(tags=["changements de mail"])


class EmailChangeIn(Schema):
    new_email: str


@router.post(
    "/accounts/{account_id}/email-change",
    response=responses({201: EmailChangeOut}, 400, 403, 404, 422),
    summary="Demander le changement d'adresse d'un compte (lien de confirmation envoyé)",
)
def request_change(request: HttpRequest, account_id: int, payload: EmailChangeIn) -> Any:
    account = access_account(api_user(request), account_id)
    change = email_changes.request_email_change(api_context(request), account, payload.new_email)
    return Status(201, email_change_out(change))


@router.get(
    "/structures/{structure_id}/email-changes",
    response=responses({200: list[EmailChangeOut]}, 404, 422),
    summary="Demandes de changement de mail (en attente ; history=true : les dernières closes)",
)
def list_changes(request: HttpRequest, structure_id: int, history: bool = False) -> Any:
    structure = access_structure(api_user(request), structure_id)
    changes = email_change_history(structure) if history else pending_email_changes(structure)
    return [email_change_out(c) for c in changes]


@router.post(
    "/structures/{structure_id}/email-changes/{change_id}/resend",
    response=responses({200: EmailChangeOut}, 403, 404, 422),
    summary="Renvoyer le lien de confirmation",
)
def resend_link(request: HttpRequest, structure_id: int, change_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    change = email_change_of(structure, change_id)
    email_changes.resend_email_change_link(api_context(request), change)
    change.refresh_from_db()
    return email_change_out(change)


@router.delete(
    "/structures/{structure_id}/email-changes/{change_id}",
    response=responses({204: None}, 403, 404, 422),
    summary="Annuler une demande",
)
def cancel_change(request: HttpRequest, structure_id: int, change_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    change = email_change_of(structure, change_id)
    email_changes.cancel_email_change(api_context(request), change)
    return Status(204, None)
