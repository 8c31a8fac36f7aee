"""Which accounts a person may administer: those of the structures they administer."""

from __future__ import annotations

from django.db.models import QuerySet

from caducee.accounts.models import Account
from caducee.core.errors import NotFound
from caducee.people.models import User
from caducee.structures.access import structures_for_admin
from caducee.structures.models import Structure


def accounts_for_admin(user: User | None) -> QuerySet[Account]:
    if user is not None and user.is_active and user.is_operator:
        return Account.objects.all()
    return Account.objects.filter(structure__in=structures_for_admin(user))


def access_account(
    user: User | None, account_id: int, structure: Structure | None = None
) -> Account:
    queryset = accounts_for_admin(user)
    if structure is not None:
        queryset = queryset.filter(structure=structure)
    account = queryset.select_related("structure").filter(pk=account_id).first()
    if account is None:
        raise NotFound("Compte introuvable.")
    return account
