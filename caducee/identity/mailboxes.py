"""Which mailboxes a person may open (seed 001 §3): the rules, without any request.

Contract shared by the identity, webmail and console code: the session key `SESSION_KEY`
holds the id of the mailbox being used; `caducee.identity.session_mailbox.current_mailbox`
reads it and checks at every request, with `may_open`, that the person may still open it
(links can be removed at any time).
"""

from __future__ import annotations

from caducee.accounts.connections import openable_mailboxes
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.people.models import User

SESSION_KEY = "caducee_mailbox_id"


def own_account(user: User) -> Account | None:
    """The person's own mailbox, unless it is deactivated (then they have no mailbox).

    A deactivated account opens nothing: neither its own mailbox nor the shared ones it
    was the connection account of (an admin keeps the console, which needs no mailbox).
    """
    return Account.objects.filter(user=user).exclude(state__in=AccountState.closed()).first()


def openable(user: User) -> list[Account]:
    """The person's own mailbox first, then every live ORG/APP mailbox they are linked to
    (the one rule: `accounts.connections.openable_mailboxes`, deactivated boxes left out)."""
    own = own_account(user)
    if own is None:
        return []
    return openable_mailboxes(own, include_deactivated=False)


def may_open(user: User, mailbox: Account) -> bool:
    """True when the person may use this mailbox: their own, or a linked live ORG/APP one."""
    own = own_account(user)
    if own is None:
        return False
    if mailbox.pk == own.pk:
        return True
    return (
        mailbox.state not in AccountState.closed()
        and ConnectionLink.objects.filter(mailbox=mailbox, account=own).exists()
    )


def default_mailbox(user: User) -> Account | None:
    """The mailbox opened at login: the person's chosen default if still openable, else own."""
    return default_among(openable(user))


def default_among(boxes: list[Account]) -> Account | None:
    """`default_mailbox` from the person's `openable` list, with no further query."""
    if not boxes:
        return None
    own = boxes[0]
    return next((m for m in boxes if m.pk == own.default_mailbox_id), own)
