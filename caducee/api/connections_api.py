"""Connection accounts of shared (ORG/APP) mailboxes, and delegates of an account.

Thin adapters over `caducee.accounts.operations`: the operations check that the caller
administers the account's structure, validate and record the audit event.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts import operations
from caducee.accounts.access import access_account
from caducee.accounts.models import Account, DelegationRight
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import ConnectionOut, DelegateOut, connection_out, delegate_out
from caducee.core.errors import NotFound
from caducee.core.web import api_user

router = Router(tags=["comptes de connexion et délégués"])


class ConnectionsIn(Schema):
    """Emails of nominative accounts of your structures (a list, or one text `a@x;b@x`)."""

    emails: list[str] | str


class DelegateIn(Schema):
    """The delegate's email and right: `lecture` (« Lecture », the default) or `reponse`
    (« Lecture et réponse pour le compte de »)."""

    email: str
    right: str = DelegationRight.READ.value


class DelegateRightIn(Schema):
    """`lecture` (« Lecture ») or `reponse` (« Lecture et réponse pour le compte de »)."""

    right: str


class SettingsMailboxOut(Schema):
    """A mailbox a nominative account opens: its own, or a shared one it connects to."""

    account_id: int
    email: str
    is_own: bool
    is_default: bool
    notify_on_receipt: bool


class DefaultMailboxIn(Schema):
    mailbox_id: int


class ReceiptNotificationIn(Schema):
    on: bool


def _mailboxes(account: Account) -> list[dict[str, Any]]:
    notify = dict(account.mailbox_links.values_list("mailbox_id", "notify_on_receipt"))
    default = account.default_mailbox_id or account.pk
    return [
        {
            "account_id": mailbox.pk,
            "email": mailbox.email,
            "is_own": mailbox.pk == account.pk,
            "is_default": mailbox.pk == default,
            "notify_on_receipt": notify.get(mailbox.pk, False),
        }
        for mailbox in operations.openable_mailboxes(account, include_deactivated=True)
    ]


def _openable(account: Account, mailbox_id: int) -> Account:
    mailbox = next(
        (
            m
            for m in operations.openable_mailboxes(account, include_deactivated=True)
            if m.pk == mailbox_id
        ),
        None,
    )
    if mailbox is None:
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    return mailbox


def _connections(mailbox: Account) -> list[dict[str, Any]]:
    links = mailbox.connection_links.select_related("account").order_by("account__email")
    return [connection_out(link) for link in links]


@router.get(
    "/accounts/{account_id}/connection-accounts",
    response=responses({200: list[ConnectionOut]}, 404),
    summary="Comptes de connexion d'une BAL ORG ou APP",
)
def list_connections(request: HttpRequest, account_id: int) -> Any:
    return _connections(access_account(api_user(request), account_id))


@router.post(
    "/accounts/{account_id}/connection-accounts",
    response=responses({200: list[ConnectionOut]}, 400, 403, 404, 422),
    summary="Ajouter des comptes de connexion (répond la liste complète)",
)
def add_connections(request: HttpRequest, account_id: int, payload: ConnectionsIn) -> Any:
    mailbox = access_account(api_user(request), account_id)
    emails = payload.emails if isinstance(payload.emails, str) else ",".join(payload.emails)
    operations.add_connection_accounts(api_context(request), mailbox, emails)
    return _connections(mailbox)


@router.delete(
    "/accounts/{account_id}/connection-accounts/{member_id}",
    response=responses({204: None}, 403, 404, 422),
    summary="Retirer un compte de connexion",
)
def remove_connection(request: HttpRequest, account_id: int, member_id: int) -> Any:
    mailbox = access_account(api_user(request), account_id)
    link = mailbox.connection_links.select_related("account").filter(account_id=member_id).first()
    if link is None:
        raise NotFound("Ce compte n'est pas compte de connexion de cette boîte.")
    operations.remove_connection_account(api_context(request), mailbox, link.account)
    return Status(204, None)


@router.get(
    "/accounts/{account_id}/delegates",
    response=responses({200: list[DelegateOut]}, 404),
    summary="Délégués d'un compte",
)
def list_delegates(request: HttpRequest, account_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    delegations = account.delegations.select_related("delegate").order_by("delegate__email")
    return [delegate_out(d) for d in delegations]


@router.post(
    "/accounts/{account_id}/delegates",
    response=responses({201: DelegateOut}, 400, 403, 404, 422),
    summary="Ajouter un délégué (compte nominatif de vos structures)",
)
def add_delegate(request: HttpRequest, account_id: int, payload: DelegateIn) -> Any:
    account = access_account(api_user(request), account_id)
    delegation = operations.add_delegate(
        api_context(request), account, payload.email, payload.right
    )
    return Status(201, delegate_out(delegation))


@router.put(
    "/accounts/{account_id}/delegates/{delegate_id}/right",
    response=responses({200: DelegateOut}, 400, 403, 404, 422),
    summary="Changer les droits d'un délégué",
)
def put_delegate_right(
    request: HttpRequest, account_id: int, delegate_id: int, payload: DelegateRightIn
) -> Any:
    account = access_account(api_user(request), account_id)
    delegation = (
        account.delegations.select_related("delegate").filter(delegate_id=delegate_id).first()
    )
    if delegation is None:
        raise NotFound("Ce délégué n'existe pas.")
    delegation = operations.set_delegate_right(
        api_context(request), account, delegation.delegate, payload.right
    )
    return delegate_out(delegation)


@router.delete(
    "/accounts/{account_id}/delegates/{delegate_id}",
    response=responses({204: None}, 403, 404),
    summary="Retirer un délégué",
)
def remove_delegate(request: HttpRequest, account_id: int, delegate_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    delegation = (
        account.delegations.select_related("delegate").filter(delegate_id=delegate_id).first()
    )
    if delegation is None:
        raise NotFound("Ce délégué n'existe pas.")
    operations.remove_delegate(api_context(request), account, delegation.delegate)
    return Status(204, None)


@router.get(
    "/accounts/{account_id}/mailboxes",
    response=responses({200: list[SettingsMailboxOut]}, 404),
    summary="Boîtes qu'un compte nominatif ouvre (la sienne, puis les BAL ORG/APP)",
)
def list_mailboxes(request: HttpRequest, account_id: int) -> Any:
    return _mailboxes(access_account(api_user(request), account_id))


@router.put(
    "/accounts/{account_id}/default-mailbox",
    response=responses({200: list[SettingsMailboxOut]}, 400, 403, 404),
    summary="Choisir la boîte affichée à la connexion",
)
def put_default_mailbox(request: HttpRequest, account_id: int, payload: DefaultMailboxIn) -> Any:
    account = access_account(api_user(request), account_id)
    mailbox = _openable(account, payload.mailbox_id)
    operations.set_default_mailbox(api_context(request), account, mailbox)
    account.refresh_from_db()
    return _mailboxes(account)


@router.put(
    "/accounts/{account_id}/mailboxes/{mailbox_id}/receipt-notification",
    response=responses({200: list[SettingsMailboxOut]}, 400, 403, 404),
    summary="Notification de réception d'une BAL ORG/APP pour ce compte",
)
def put_receipt_notification(
    request: HttpRequest, account_id: int, mailbox_id: int, payload: ReceiptNotificationIn
) -> Any:
    account = access_account(api_user(request), account_id)
    mailbox = _openable(account, mailbox_id)
    operations.set_receipt_notification(api_context(request), account, mailbox, payload.on)
    return _mailboxes(account)
