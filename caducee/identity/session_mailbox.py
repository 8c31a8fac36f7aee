"""The mailbox in use, as the web keeps it: `mailboxes.SESSION_KEY` in the session.

The rules (`may_open`, `default_mailbox`) live in `caducee.identity.mailboxes`; this module
only reads and writes the session, and caches the answer for the rest of the request (the
header and the view share it).
"""

from __future__ import annotations

from django.http import HttpRequest

from caducee.accounts.models import Account
from caducee.identity.mailboxes import SESSION_KEY, default_mailbox, may_open
from caducee.people.models import User

_CACHE = "_caducee_current_mailbox"


def current_mailbox(request: HttpRequest) -> Account | None:
    """The mailbox in use, checked once per request (the header and the view share it)."""
    user = request.user
    if not isinstance(user, User):
        return None
    mailbox_id = request.session.get(SESSION_KEY)
    cached = getattr(request, _CACHE, None)
    if cached is not None and cached[0] == mailbox_id:
        result: Account | None = cached[1]
        return result
    result = _resolve(request, user, mailbox_id)
    setattr(request, _CACHE, (request.session.get(SESSION_KEY), result))
    return result


def use_mailbox(request: HttpRequest, mailbox: Account | None) -> None:
    """Make this mailbox the one in use for the rest of the session."""
    request.session[SESSION_KEY] = mailbox.pk if mailbox is not None else None


def _resolve(request: HttpRequest, user: User, mailbox_id: int | None) -> Account | None:
    if mailbox_id is not None:
        mailbox = Account.objects.filter(pk=mailbox_id).first()
        if mailbox is not None and may_open(user, mailbox):
            return mailbox
    mailbox = default_mailbox(user)
    use_mailbox(request, mailbox)
    return mailbox
