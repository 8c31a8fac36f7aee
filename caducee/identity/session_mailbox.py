"""The mailbox in use, as the web keeps it: `mailboxes.SESSION_KEY` in the session.

The rules (`openable`, `may_open`, `default_mailbox`) live in `caducee.identity.mailboxes`;
this module only reads and writes the session. The person's openable mailboxes are read
once per request (two queries) and shared by the header's « Changer de compte » menu, the
mailbox in use and the view: a mailbox may be used when it is among them (exactly
`may_open`), else the default one is opened again.
"""

from __future__ import annotations

from django.http import HttpRequest

from caducee.accounts.models import Account
from caducee.identity.mailboxes import SESSION_KEY, default_among, openable
from caducee.people.models import User

_OPENABLE = "_caducee_openable_mailboxes"


def openable_mailboxes(request: HttpRequest) -> list[Account]:
    """The logged-in person's `openable` mailboxes, read once per request."""
    user = request.user
    if not isinstance(user, User):
        return []
    cached: list[Account] | None = getattr(request, _OPENABLE, None)
    if cached is None:
        cached = openable(user)
        setattr(request, _OPENABLE, cached)
    return cached


def current_mailbox(request: HttpRequest) -> Account | None:
    """The mailbox in use, checked at every request (links can be removed at any time)."""
    if not isinstance(request.user, User):
        return None
    boxes = openable_mailboxes(request)
    mailbox_id = request.session.get(SESSION_KEY)
    mailbox = next((m for m in boxes if m.pk == mailbox_id), None)
    if mailbox is None:
        mailbox = default_among(boxes)
        if mailbox_id != (mailbox.pk if mailbox is not None else None):
            use_mailbox(request, mailbox)
    return mailbox


def use_mailbox(request: HttpRequest, mailbox: Account | None) -> None:
    """Make this mailbox the one in use for the rest of the session."""
    request.session[SESSION_KEY] = mailbox.pk if mailbox is not None else None
