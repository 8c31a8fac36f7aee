"""Which mailboxes a person may open (seed 001 §3): the rules, without any request.

Contract shared by the identity, webmail and console code: the session key `SESSION_KEY`
holds the id of the mailbox being used; `caducee.identity.session_mailbox.current_mailbox`
reads it and checks at every request, with `may_open`, that the person may still open it
(links can be removed at any time).

Delegations (`accounts.delegates`) open the delegating mailbox in the webmail only
(`delegated=True`: the session's mailbox, « Changer de compte », the web channel of the
mail operations); application passwords (SMTP submission) and API tokens reach the
person's own and linked mailboxes, never a delegated one (docs/ACCOUNTS.md, « Comptes
délégués »).
"""

from __future__ import annotations

from dataclasses import dataclass

from caducee.accounts.connections import openable_mailboxes
from caducee.accounts.delegates import linked_and_delegated, live_delegation
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.people.models import User

SESSION_KEY = "caducee_mailbox_id"


def own_account(user: User) -> Account | None:
    """The person's own mailbox, unless it is deactivated (then they have no mailbox).

    A deactivated account opens nothing: neither its own mailbox nor the shared ones it
    was the connection account of (an admin keeps the console, which needs no mailbox).
    """
    return Account.objects.filter(user=user).exclude(state__in=AccountState.closed()).first()


def openable(user: User, *, delegated: bool = False) -> list[Account]:
    """The person's own mailbox first, then every live ORG/APP mailbox they are linked to
    (the one rule: `accounts.connections.openable_mailboxes`, deactivated boxes left out);
    with `delegated`, then the live mailboxes they are a delegate of."""
    return webmail_mailboxes(user)[0] if delegated else _linked(user)


def _linked(user: User) -> list[Account]:
    own = own_account(user)
    if own is None:
        return []
    return openable_mailboxes(own, include_deactivated=False)


def webmail_mailboxes(user: User) -> tuple[list[Account], dict[int, str]]:
    """What the webmail opens (two queries, as `openable`): own, linked, then delegated
    mailboxes (`accounts.delegates.linked_and_delegated`); and the right of each delegated
    one, by mailbox id."""
    own = own_account(user)
    if own is None:
        return [], {}
    others, rights = linked_and_delegated(own)
    return [own, *others], rights


@dataclass(frozen=True)
class MailboxAccess:
    """How a person opens a mailbox: `right` None as owner or connection account (every
    action), else through a delegation with this right (`accounts.delegation_rights`)."""

    right: str | None = None


def mailbox_access(user: User, mailbox: Account, *, delegated: bool) -> MailboxAccess | None:
    """How the person may use this mailbox, else None: their own, a linked live ORG/APP one,
    and with `delegated` (the webmail) a live mailbox they are a delegate of."""
    own = own_account(user)
    if own is None:
        return None
    if mailbox.pk == own.pk or (
        mailbox.state not in AccountState.not_openable()
        and ConnectionLink.objects.filter(mailbox=mailbox, account=own).exists()
    ):
        return MailboxAccess()
    delegation = live_delegation(own, mailbox) if delegated else None
    return MailboxAccess(delegation.right) if delegation is not None else None


def may_open(user: User, mailbox: Account, *, delegated: bool = False) -> bool:
    """True when the person may use this mailbox (`mailbox_access`)."""
    return mailbox_access(user, mailbox, delegated=delegated) is not None


def default_mailbox(user: User) -> Account | None:
    """The mailbox opened at login: the person's chosen default if still openable, else own."""
    return default_among(openable(user))


def default_among(boxes: list[Account]) -> Account | None:
    """`default_mailbox` from the person's `openable` list, with no further query."""
    if not boxes:
        return None
    own = boxes[0]
    return next((m for m in boxes if m.pk == own.default_mailbox_id), own)
