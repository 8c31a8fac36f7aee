"""Delegates: nominative accounts allowed to act for another account."""

from __future__ import annotations

from django.db import transaction

from caducee.accounts.models import Account, Delegation
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.structures.access import admin_scope, require_admin


def add_delegate(ctx: Context, account: Account, delegate_email: str) -> Delegation:
    """Admin of the account's structure; audits `account.delegate_add` when new.

    The delegate is a nominative account of a structure the actor administers.
    """
    require_admin(ctx, account.structure)
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
        delegation, created = Delegation.objects.get_or_create(account=account, delegate=delegate)
        if created:
            record_event(
                ctx,
                AuditAction.ACCOUNT_DELEGATE_ADD,
                structure=account.structure,
                target=account,
                detail={"delegate": delegate.email},
            )
    return delegation


def remove_delegate(ctx: Context, account: Account, delegate: Account) -> None:
    """Admin of the account's structure; audits `account.delegate_remove`."""
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
