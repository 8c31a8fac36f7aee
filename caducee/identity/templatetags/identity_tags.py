"""Template tags for the identity partials included by the console."""

from __future__ import annotations

from django import template

from caducee.accounts.models import Account
from caducee.identity import operations
from caducee.identity.models import Reminder, Security
from caducee.structures.models import Structure

register = template.Library()


@register.simple_tag
def last_reminder(structure: Structure) -> Reminder | None:
    """The structure's latest "Relancer vos utilisateurs préinscrits", or None."""
    return operations.last_reminder(structure)


@register.filter
def uses_authenticator_app(account: Account) -> bool:
    """True when the person of this mailbox logs in with an authenticator app (TOTP)."""
    if account.user_id is None:
        return False
    return (
        Security.objects.filter(user_id=account.user_id, totp_confirmed_at__isnull=False)
        .exclude(totp_secret="")
        .exists()
    )
