"""The mailbox a logged-in person is currently using (seed 001 §3).

Contract shared by the identity, webmail and console code: the session key
`caducee_mailbox_id` holds the id of the mailbox being used; `current_mailbox` checks at
every request that the person may still open it (links can be removed at any time).
"""

from __future__ import annotations

from django.http import HttpRequest

from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.people.models import User

SESSION_KEY = "caducee_mailbox_id"


def own_account(user: User) -> Account | None:
    """The person's own mailbox, unless it is deactivated (then they have no mailbox).

    A deactivated account opens nothing: neither its own mailbox nor the shared ones it
    was the connection account of (an admin keeps the console, which needs no mailbox).
    """
    return Account.objects.filter(user=user).exclude(state=AccountState.DEACTIVATED).first()


def openable(user: User) -> list[Account]:
    """The person's own mailbox first, then every ORG/APP mailbox they are linked to."""
    own = own_account(user)
    if own is None:
        return []
    linked = (
        Account.objects.filter(connection_links__account=own)
        .exclude(state=AccountState.DEACTIVATED)
        .order_by("email")
    )
    return [own, *linked]


def may_open(user: User, mailbox: Account) -> bool:
    own = own_account(user)
    if own is None:
        return False
    if mailbox.pk == own.pk:
        return True
    return (
        mailbox.state != AccountState.DEACTIVATED
        and ConnectionLink.objects.filter(mailbox=mailbox, account=own).exists()
    )


def default_mailbox(user: User) -> Account | None:
    own = own_account(user)
    if own is None:
        return None
    target = own.default_mailbox
    if target is not None and may_open(user, target):
        return target
    return own


def current_mailbox(request: HttpRequest) -> Account | None:
    """The mailbox in use, checked once per request (the header and the view share it)."""
    user = request.user
    if not user.is_authenticated:
        return None
    assert isinstance(user, User)
    mailbox_id = request.session.get(SESSION_KEY)
    cached = getattr(request, _CACHE, None)
    if cached is not None and cached[0] == mailbox_id:
        result: Account | None = cached[1]
        return result
    result = _resolve(request, user, mailbox_id)
    setattr(request, _CACHE, (request.session.get(SESSION_KEY), result))
    return result


_CACHE = "_caducee_current_mailbox"


def _resolve(request: HttpRequest, user: User, mailbox_id: int | None) -> Account | None:
    if mailbox_id is not None:
        mailbox = Account.objects.filter(pk=mailbox_id).first()
        if mailbox is not None and may_open(user, mailbox):
            return mailbox
    mailbox = default_mailbox(user)
    request.session[SESSION_KEY] = mailbox.pk if mailbox else None
    return mailbox
