"""Connection accounts of shared mailboxes, and what a nominative account opens.

A shared mailbox (ORG, APP) is opened through nominative accounts linked to it; each such
account chooses the mailbox shown at login and whether a receipt in each linked mailbox
notifies it. Each operation checks permission, validates, writes and audits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from caducee.accounts.models import Account, AccountState, AccountType, ConnectionLink
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.structures.access import admin_scope, require_admin


def resolve_connection_accounts(
    ctx: Context,
    emails: Iterable[str],
    *,
    mailbox_email: str = "",
    pending: Mapping[str, str] | None = None,
) -> tuple[list[Account], list[Problem]]:
    """Find the nominative accounts named; `pending` maps emails created alongside to types."""
    found: list[Account] = []
    problems: list[Problem] = []
    emails = list(emails)
    by_email = {
        a.email: a for a in Account.objects.filter(email__in=emails, structure__in=admin_scope(ctx))
    }
    for email in emails:
        if email == mailbox_email:
            problems.append(
                Problem(
                    "connection_accounts",
                    "self",
                    f"{email} ne peut pas être son propre compte de connexion.",
                )
            )
            continue
        account = by_email.get(email)
        if account is None:
            if pending is not None and email in pending:
                if pending[email] not in AccountType.nominative():
                    problems.append(_not_nominative(email, pending[email]))
                continue
            problems.append(
                Problem(
                    "connection_accounts",
                    "unknown_account",
                    f"Aucun compte {email} dans vos structures : créez d'abord ce compte nominatif "
                    "(PER, INT ou MED), ou corrigez l'adresse.",
                )
            )
            continue
        if not account.is_nominative:
            problems.append(_not_nominative(email, account.type))
            continue
        found.append(account)
    return found, problems


def _not_nominative(email: str, kind: str) -> Problem:
    return Problem(
        "connection_accounts",
        "not_nominative",
        f"{email} est une BAL {kind} : seul un compte nominatif PER, INT ou MED "
        "peut être compte de connexion.",
    )


def sync_links(mailbox: Account, wanted: list[Account]) -> dict[str, list[str]]:
    """Make `wanted` the mailbox's connection accounts; the audit detail of the change.

    Runs inside the caller's transaction (update and type change), which audits.
    """
    current = {link.account_id: link for link in mailbox.connection_links.select_related("account")}
    wanted_ids = {a.pk for a in wanted}
    removed = [link.account.email for aid, link in current.items() if aid not in wanted_ids]
    added = [a for a in wanted if a.pk not in current]
    if removed:
        mailbox.connection_links.exclude(account_id__in=wanted_ids).delete()
        Account.objects.filter(default_mailbox=mailbox).exclude(pk__in=wanted_ids).update(
            default_mailbox=None
        )
    ConnectionLink.objects.bulk_create([ConnectionLink(mailbox=mailbox, account=a) for a in added])
    result: dict[str, list[str]] = {}
    if added:
        result["links_added"] = [a.email for a in added]
    if removed:
        result["links_removed"] = removed
    return result


def add_connection_accounts(ctx: Context, mailbox: Account, emails_text: str) -> list[Account]:
    """Admin of the mailbox's structure; audits `account.connection_add` per account added.

    Allows nominative accounts (comma- or ';'-separated emails) to open a shared mailbox.
    """
    require_admin(ctx, mailbox.structure)
    if not mailbox.is_shared:
        raise Invalid("Seule une boîte ORG ou APP a des comptes de connexion.")
    emails = [e.strip().lower() for e in emails_text.replace(";", ",").split(",") if e.strip()]
    if not emails:
        raise Invalid(
            "Saisissez l'adresse mail d'au moins un compte nominatif.",
            [
                Problem(
                    "connection_accounts",
                    "required",
                    "Saisissez l'adresse mail d'au moins un compte nominatif.",
                )
            ],
        )
    accounts, problems = resolve_connection_accounts(ctx, emails, mailbox_email=mailbox.email)
    if problems:
        raise Invalid("Aucun compte de connexion n'a été ajouté.", problems)
    existing = set(mailbox.connection_links.values_list("account_id", flat=True))
    added = [a for a in accounts if a.pk not in existing]
    with transaction.atomic():
        ConnectionLink.objects.bulk_create(
            [ConnectionLink(mailbox=mailbox, account=a) for a in added]
        )
        for account in added:
            record_event(
                ctx,
                AuditAction.ACCOUNT_CONNECTION_ADD,
                structure=mailbox.structure,
                target=mailbox,
                detail={"connection_account": account.email},
            )
    return added


def remove_connection_account(ctx: Context, mailbox: Account, account: Account) -> None:
    """Admin of the mailbox's structure; audits `account.connection_remove`."""
    require_admin(ctx, mailbox.structure)
    if mailbox.type == AccountType.ORG and mailbox.connection_links.count() <= 1:
        raise Invalid(
            "Une BAL ORG doit garder au moins un compte de connexion (exigence réglementaire) : "
            "ajoutez-en un autre avant de retirer celui-ci."
        )
    with transaction.atomic():
        deleted, _ = ConnectionLink.objects.filter(mailbox=mailbox, account=account).delete()
        if not deleted:
            raise NotFound("Ce compte n'est pas compte de connexion de cette boîte.")
        if account.default_mailbox_id == mailbox.pk:
            account.default_mailbox = None
            account.save(update_fields=["default_mailbox", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_CONNECTION_REMOVE,
            structure=mailbox.structure,
            target=mailbox,
            detail={"connection_account": account.email},
        )


def openable_mailboxes(account: Account, *, include_deactivated: bool) -> list[Account]:
    """The mailboxes a nominative account opens: its own first, then linked ORG/APP ones.

    `include_deactivated=False` is what the person may open now (login, webmail): nothing
    when the account itself is deactivated, and no deactivated shared mailbox.
    `include_deactivated=True` is what an administrator manages (the console lists every
    link, so a deactivated box can still be unlinked or reactivated).
    """
    linked = Account.objects.filter(connection_links__account=account).order_by("email")
    if not include_deactivated:
        if account.state in AccountState.closed():
            return []
        linked = linked.exclude(state__in=AccountState.not_openable())
    return [account, *linked]


def require_self_or_admin(ctx: Context, account: Account) -> None:
    """The account's own person (webmail « Paramètres », issue #15 point 8), unless the
    account is deactivated or deleted, or an admin of its structure (or the server)."""
    if (
        ctx.user is not None
        and ctx.user.is_active
        and account.user_id == ctx.user.pk
        and account.state not in (AccountState.DEACTIVATED, AccountState.DELETED)
    ):
        return
    require_admin(ctx, account.structure)


def set_default_mailbox(ctx: Context, account: Account, mailbox: Account | None) -> None:
    """The account's own person or an admin of its structure; audits `account.default_mailbox`.

    Chooses the mailbox opened at login (None or the account itself: its own).
    """
    require_self_or_admin(ctx, account)
    if (
        mailbox is not None
        and mailbox.pk != account.pk
        and not ConnectionLink.objects.filter(mailbox=mailbox, account=account).exists()
    ):
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    target = None if mailbox is None or mailbox.pk == account.pk else mailbox
    with transaction.atomic():
        account.default_mailbox = target
        account.save(update_fields=["default_mailbox", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_DEFAULT_MAILBOX,
            structure=account.structure,
            target=account,
            detail={"default": target.email if target else account.email},
        )


def set_receipt_notification(ctx: Context, account: Account, mailbox: Account, on: bool) -> None:
    """The account's own person or an admin of its structure; audits
    `account.receipt_notification` on a change."""
    require_self_or_admin(ctx, account)
    link = ConnectionLink.objects.filter(mailbox=mailbox, account=account).first()
    if link is None:
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    if link.notify_on_receipt == on:
        return
    with transaction.atomic():
        link.notify_on_receipt = on
        link.save(update_fields=["notify_on_receipt"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_RECEIPT_NOTIFICATION,
            structure=account.structure,
            target=account,
            detail={"mailbox": mailbox.email, "on": on},
        )


def update_mailbox_settings(
    ctx: Context, account: Account, default: int | None, notify_ids: Iterable[int]
) -> None:
    """The account's own person or an admin of its structure; audits
    `account.default_mailbox` and `account.receipt_notification` for what changes, all or
    nothing.

    `default` is the id of the mailbox opened at login (the account's own or a linked
    one; None keeps the current choice); `notify_ids` are the linked mailboxes whose
    receipts notify the account, every other link stops notifying.
    """
    require_self_or_admin(ctx, account)
    mailboxes = {m.pk: m for m in openable_mailboxes(account, include_deactivated=True)}
    if default is not None and default not in mailboxes:
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    wanted = set(notify_ids)
    current_notify = dict(account.mailbox_links.values_list("mailbox_id", "notify_on_receipt"))
    with transaction.atomic():
        if default is not None and default != (account.default_mailbox_id or account.pk):
            set_default_mailbox(ctx, account, mailboxes[default])
        for mailbox_id, on in current_notify.items():
            if (mailbox_id in wanted) != on:
                set_receipt_notification(ctx, account, mailboxes[mailbox_id], not on)
