"""The person's own webmail « Paramètres » over the API (issue #15 point 8): the mailbox
opened at login, the receipt notifications of the ORG/APP mailboxes they connect to, and
colleagues proposed on the ORG mailboxes they use or are responsible of.

The token's person, for their own nominative account only (an admin sets another
account's with `/accounts/{account_id}/default-mailbox` and `…/receipt-notification`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status

from caducee.accounts import operations
from caducee.accounts.colleagues import proposable_mailboxes, proposals_by
from caducee.accounts.models import Account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import ColleagueProposalOut, colleague_proposal_out
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.identity.mailboxes import openable
from caducee.mail.api.common import router


class MySettingsMailboxOut(Schema):
    account_id: int
    email: str
    type: str
    is_own: bool
    is_default: bool
    notify_on_receipt: bool  # always false for the own mailbox
    may_propose_colleague: bool  # an ORG mailbox this person uses or is responsible of


class MailSettingsOut(Schema):
    email: str  # the person's nominative account
    mailboxes: list[MySettingsMailboxOut]


class MailSettingsIn(Schema):
    default_mailbox_id: int | None = None  # None keeps the current choice
    notify: list[int]  # ids of the ORG/APP mailboxes whose receipts notify the person


class ColleagueIn(Schema):
    mailbox: str  # the ORG mailbox's address
    email: str  # the colleague's nominative account


def _own(request: HttpRequest) -> tuple[Account, list[Account]]:
    boxes = openable(api_user(request))
    if not boxes:
        raise NotFound("Vous n'avez pas de boîte nominative active.")
    return boxes[0], boxes


def _settings(own: Account, boxes: list[Account]) -> dict[str, Any]:
    notify = dict(own.mailbox_links.values_list("mailbox_id", "notify_on_receipt"))
    default = own.default_mailbox_id or own.pk
    proposable = {m.pk for m in proposable_mailboxes(own)}
    return {
        "email": own.email,
        "mailboxes": [
            {
                "account_id": box.pk,
                "email": box.email,
                "type": box.type,
                "is_own": box.pk == own.pk,
                "is_default": box.pk == default,
                "notify_on_receipt": notify.get(box.pk, False),
                "may_propose_colleague": box.pk in proposable,
            }
            for box in boxes
            if box.pk == own.pk or box.pk in notify
        ],
    }


@router.get(
    "/mail/settings",
    response=responses({200: MailSettingsOut}, 404),
    summary="Mes paramètres : boîte par défaut et notifications de réception",
)
def get_settings(request: HttpRequest) -> Any:
    own, boxes = _own(request)
    return _settings(own, boxes)


@router.put(
    "/mail/settings",
    response=responses({200: MailSettingsOut}, 400, 403, 404, 422),
    summary="Choisir ma boîte par défaut et mes notifications de réception",
)
def put_settings(request: HttpRequest, payload: MailSettingsIn) -> Any:
    own, boxes = _own(request)
    operations.update_mailbox_settings(
        api_context(request), own, payload.default_mailbox_id, payload.notify
    )
    own.refresh_from_db()
    return _settings(own, boxes)


@router.get(
    "/mail/colleague-proposals",
    response=responses({200: list[ColleagueProposalOut]}, 404),
    summary="Mes propositions de collègues",
)
def my_proposals(request: HttpRequest) -> Any:
    own, _boxes = _own(request)
    return [colleague_proposal_out(p) for p in proposals_by(own)[:500]]


@router.post(
    "/mail/colleague-proposals",
    response=responses({201: ColleagueProposalOut}, 400, 403, 404, 422),
    summary="Proposer un collègue comme compte de connexion d'une BAL ORG",
)
def propose(request: HttpRequest, payload: ColleagueIn) -> Any:
    own, _boxes = _own(request)
    address = payload.mailbox.strip().lower()
    mailbox = next((m for m in proposable_mailboxes(own) if m.email == address), None)
    if mailbox is None:
        raise NotFound("Boîte introuvable.")
    proposal = operations.propose_colleague(api_context(request), mailbox, payload.email)
    return Status(201, colleague_proposal_out(proposal))
