"""Email-change requests: thin adapters over `caducee.accounts.email_changes`.

A request mails a confirmation link to the new address; the address changes only when
its owner opens it (there is no API route for that: it is the new owner's, not an admin's).
`/me/email-change` is the token's person's own request (« Mon adresse mail »), with their
password, as on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts import email_changes
from caducee.accounts.access import access_account
from caducee.accounts.models import Account, EmailChangeRequest
from caducee.accounts.queries import (
    email_change_history,
    email_change_of,
    email_changes_in,
    pending_email_changes,
)
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import EmailChangeOut, email_change_out
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.structures.access import access_structure

router = Router(tags=["changements de mail"])
LIST_LIMIT = 500


class EmailChangeIn(Schema):
    new_email: str


class OwnEmailChangeIn(Schema):
    new_email: str
    password: str


class OwnEmailOut(Schema):
    email: str
    pending: EmailChangeOut | None


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
    summary="Demandes de changement de mail (sans filtre : en attente ; state=pending, done, "
    "cancelled ou expired et q=adresse : toutes, les plus récentes d'abord ; history=true : "
    "les dernières closes)",
)
def list_changes(
    request: HttpRequest, structure_id: int, history: bool = False, state: str = "", q: str = ""
) -> Any:
    structure = access_structure(api_user(request), structure_id)
    if history:
        changes: Any = email_change_history(structure)
    elif state or q:
        changes = email_changes_in(structure, state, q)[:LIST_LIMIT]
    else:
        changes = pending_email_changes(structure)
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


def _own_pending(request: HttpRequest) -> EmailChangeRequest | None:
    account = Account.objects.filter(user=api_user(request)).first()
    if account is None:
        return None
    return (
        account.email_changes.filter(status=EmailChangeRequest.Status.PENDING)
        .select_related("account", "requested_by")
        .first()
    )


@router.get(
    "/me/email-change",
    response=responses({200: OwnEmailOut}),
    summary="Mon adresse mail : l'adresse de connexion et la demande de changement en attente",
)
def my_email(request: HttpRequest) -> Any:
    pending = _own_pending(request)
    return {
        "email": api_user(request).email,
        "pending": email_change_out(pending) if pending else None,
    }


@router.post(
    "/me/email-change",
    response=responses({201: EmailChangeOut}, 403, 404, 422),
    summary="Demander le changement de mon adresse mail (mot de passe actuel exigé ; lien de "
    "confirmation envoyé à la nouvelle adresse)",
)
def request_my_change(request: HttpRequest, payload: OwnEmailChangeIn) -> Any:
    change = email_changes.request_own_email_change(
        api_context(request), payload.new_email, payload.password
    )
    return Status(201, email_change_out(change))


@router.delete(
    "/me/email-change",
    response=responses({204: None}, 403, 404, 422),
    summary="Annuler ma demande de changement d'adresse mail en attente",
)
def cancel_my_change(request: HttpRequest) -> Any:
    change = _own_pending(request)
    if change is None:
        raise NotFound("Aucune demande de changement de mail en attente.")
    email_changes.cancel_email_change(api_context(request), change)
    return Status(204, None)
