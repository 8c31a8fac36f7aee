"""Delegates: nominative accounts allowed to open another account's mailbox, with a right.

A delegate opens the delegating mailbox in the webmail through « Changer de compte », within
its right (`DelegationRight`, what each allows: `accounts.delegation_rights`). The rule of
who opens what is `caducee.identity.mailboxes`; this module holds the operations and the
one query of live delegations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from caducee.accounts.models import (
    Account,
    AccountState,
    ConnectionLink,
    Delegation,
    DelegationRight,
)
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.structures.access import admin_scope, require_admin

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# A delegating account in one of these states opens nothing to its delegates.
CLOSED_STATES = (AccountState.DEACTIVATED, AccountState.DELETED)


def clean_right(right: str) -> str:
    """The right's code, from its code or its label in any case; else Invalid (French)."""
    wanted = " ".join(right.split()).lower()
    for choice in DelegationRight:
        if wanted in {choice.value, str(choice.label).lower()}:
            return choice.value
    codes = ", ".join(f"{c.value} (« {c.label} »)" for c in DelegationRight)
    message = f"Droits de délégué inconnus : « {right} ». Choisissez parmi {codes}."
    raise Invalid(message, [Problem("right", "unknown_right", message)])


def add_delegate(
    ctx: Context, account: Account, delegate_email: str, right: str = DelegationRight.READ
) -> Delegation:
    """Admin of the account's structure; audits `account.delegate_add` when new, or
    `account.delegate_right` when the delegate was there with another right.

    The delegate is a nominative account of a structure the actor administers.
    """
    require_admin(ctx, account.structure)
    right = clean_right(right)
    email = delegate_email.strip().lower()
    delegate = Account.objects.filter(email=email, structure__in=admin_scope(ctx)).first()
    if delegate is None:
        raise Invalid(
            f"Aucun compte {email} dans vos structures.",
            [Problem("delegate", "unknown_account", f"Aucun compte {email} dans vos structures.")],
        )
    if delegate.pk == account.pk:
        raise Invalid("Un compte ne peut pas être son propre délégué.")
    if not delegate.is_nominative:
        raise Invalid(
            f"{email} est une BAL {delegate.type} : un délégué doit être un compte "
            "nominatif (PER, INT ou MED)."
        )
    with transaction.atomic():
        delegation, created = Delegation.objects.get_or_create(
            account=account, delegate=delegate, defaults={"right": right}
        )
        if created:
            record_event(
                ctx,
                AuditAction.ACCOUNT_DELEGATE_ADD,
                structure=account.structure,
                target=account,
                detail={"delegate": delegate.email, "right": right},
            )
        elif delegation.right != right:
            _change_right(ctx, delegation, right)
    return delegation


def set_delegate_right(ctx: Context, account: Account, delegate: Account, right: str) -> Delegation:
    """Admin of the account's structure; audits `account.delegate_right` on a change.

    Takes effect at the delegate's next click (the right is read at every request).
    """
    require_admin(ctx, account.structure)
    right = clean_right(right)
    delegation = Delegation.objects.filter(account=account, delegate=delegate).first()
    if delegation is None:
        raise NotFound("Ce délégué n'existe pas.")
    if delegation.right != right:
        with transaction.atomic():
            _change_right(ctx, delegation, right)
    return delegation


def _change_right(ctx: Context, delegation: Delegation, right: str) -> None:
    before = delegation.right
    delegation.right = right
    delegation.save(update_fields=["right"])
    record_event(
        ctx,
        AuditAction.ACCOUNT_DELEGATE_RIGHT,
        structure=delegation.account.structure,
        target=delegation.account,
        detail={"delegate": delegation.delegate.email, "previous_right": before, "right": right},
    )


def remove_delegate(ctx: Context, account: Account, delegate: Account) -> None:
    """Admin of the account's structure; audits `account.delegate_remove`.

    Ends the delegate's access at once: a delegate inside the mailbox is sent back to
    their own at their next click (the delegation is read at every request).
    """
    require_admin(ctx, account.structure)
    with transaction.atomic():
        deleted, _ = Delegation.objects.filter(account=account, delegate=delegate).delete()
        if not deleted:
            raise NotFound("Ce délégué n'existe pas.")
        record_event(
            ctx,
            AuditAction.ACCOUNT_DELEGATE_REMOVE,
            structure=account.structure,
            target=account,
            detail={"delegate": delegate.email},
        )


# A linked mailbox not yet validated (or rejected) by the service centre stays shut
# (issue #16); a deleted one keeps its historical behaviour here.
_UNOPENED_LINKED = (AccountState.DEACTIVATED, AccountState.TO_VALIDATE, AccountState.REJECTED)


def linked_and_delegated(account: Account) -> tuple[list[Account], dict[int, str]]:
    """In one query, what a live nominative account opens besides its own mailbox: the live
    ORG/APP mailboxes it is a connection account of (as `connections.openable_mailboxes`),
    then the live mailboxes it is a delegate of; and the right of each delegated one.

    A mailbox both linked and delegated counts as linked (every action).
    """
    if account.state in CLOSED_STATES:
        return [], {}
    boxes: list[Account] = []
    rights: dict[int, str] = {}
    for box in openable_boxes(account):
        boxes.append(box)
        if not box.is_linked:
            rights[box.pk] = str(box.delegated_right)
    return boxes, rights


class _Opened(TypedDict):
    is_linked: bool
    delegated_right: str | None


def openable_boxes(account: Account) -> QuerySet[WithAnnotations[Account, _Opened]]:
    """The query of `linked_and_delegated`: the mailboxes are those whose id is in the
    UNION of the live linked ones and the live delegated ones, each side read from its
    link table by the account's id (the state of each mailbox checked through its primary
    key), so the accounts are reached by primary key whatever their number. An OR of two
    `id IN (…)` conditions on the accounts, as before, is planned by PostgreSQL as a read
    of every account (160–230 ms at 1,000,000; docs/PERFORMANCE.md)."""
    links = ConnectionLink.objects.filter(account=account)
    delegations = Delegation.objects.filter(delegate=account)
    linked = links.exclude(mailbox__state__in=_UNOPENED_LINKED).values("mailbox_id")
    delegated = delegations.exclude(account__state__in=CLOSED_STATES).values("account_id")
    return (
        Account.objects.filter(pk__in=linked.union(delegated))
        .annotate(
            is_linked=Exists(links.filter(mailbox=OuterRef("pk"))),
            delegated_right=Subquery(delegations.filter(account=OuterRef("pk")).values("right")),
        )
        .order_by("-is_linked", "email")
    )


def live_delegation(delegate: Account, mailbox: Account) -> Delegation | None:
    """The delegation that lets this account open this mailbox now, else None (one query)."""
    if delegate.state in CLOSED_STATES or mailbox.state in CLOSED_STATES:
        return None
    return Delegation.objects.filter(delegate=delegate, account=mailbox).first()
