"""Template filters of the directory: rules read from the code, not stored values in HTML."""

from __future__ import annotations

from django import template

from caducee.accounts.models import Account, AccountType

register = template.Library()


@register.filter
def may_carry_address(account: Account) -> bool:
    """The account's type may have an MSSanté correspondence (every type but MED)."""
    return account.type != AccountType.MED
