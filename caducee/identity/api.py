"""Identity in the REST API: reminders of pre-registered users, resending one link.

Every route declares its statuses with `responses(...)`: 403 for a write with a read-only
token, 404 for a structure or account outside the caller's reach (or no reminder yet), 422
when the account is not pre-registered; 401 and 429 come with authentication.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts.access import access_account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.identity import operations as ops
from caducee.identity.models import Reminder
from caducee.structures.access import access_structure

router = Router(tags=["identité"])


class RemindedAccount(Schema):
    id: int
    email: str
    name: str


class ReminderOut(Schema):
    created_at: datetime
    actor: str
    accounts: list[RemindedAccount]


class Done(Schema):
    detail: str


def reminder_out(reminder: Reminder) -> dict[str, Any]:
    return {
        "created_at": reminder.created_at,
        "actor": reminder.actor_label,
        "accounts": reminder.accounts,
    }


@router.post(
    "/structures/{structure_id}/reminders",
    response=responses({201: ReminderOut}, 403, 404),
    summary="Relancer les utilisateurs préinscrits (nouveau lien de finalisation à chacun)",
)
def remind(request: HttpRequest, structure_id: int) -> Status[dict[str, Any]]:
    ctx = api_context(request)
    structure = access_structure(ctx.user, structure_id)
    return Status(201, reminder_out(ops.remind_preregistered(ctx, structure)))


@router.get(
    "/structures/{structure_id}/reminders/last",
    response=responses({200: ReminderOut}, 404),
    summary="Dernière relance des utilisateurs préinscrits",
)
def last_reminder(request: HttpRequest, structure_id: int) -> dict[str, Any]:
    structure = access_structure(api_context(request).user, structure_id)
    reminder = ops.last_reminder(structure)
    if reminder is None:
        raise NotFound("Aucune relance pour cette structure.")
    return reminder_out(reminder)


@router.post(
    "/accounts/{account_id}/finalisation-link",
    response=responses({200: Done}, 403, 404, 422),
    summary="Renvoyer le lien de finalisation à un utilisateur préinscrit",
)
def resend(request: HttpRequest, account_id: int) -> dict[str, str]:
    ctx = api_context(request)
    account = access_account(ctx.user, account_id)
    ops.resend_invitation(ctx, account)
    return {"detail": f"Un nouveau lien de finalisation est envoyé à {account.email}."}
