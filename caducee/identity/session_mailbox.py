"""The mailbox in use, as the web keeps it: `mailboxes.SESSION_KEY` in the session.

The rules (`openable`, `may_open`, `default_mailbox`) live in `caducee.identity.mailboxes`;
this module only reads and writes the session. The person's openable mailboxes are read
once per request (two queries) and shared by the header's « Changer de compte » menu, the
mailbox in use and the view: a mailbox may be used when it is among them (exactly
`may_open`), else the default one is opened again.

In the webmail a person also opens the mailboxes they are a delegate of (read with the
linked ones, in the same two queries): `delegated_right` says with which right. When the
mailbox in use can no longer be opened (a link or a delegation removed, the mailbox
deactivated), the next request opens the default mailbox again and says so.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from caducee.accounts.models import Account
from caducee.identity.mailboxes import SESSION_KEY, default_among, webmail_mailboxes
from caducee.people.models import User

_OPENABLE = "_caducee_openable_mailboxes"
_RIGHTS = "_caducee_delegated_rights"


def openable_mailboxes(request: HttpRequest) -> list[Account]:
    """The logged-in person's webmail mailboxes (`openable`, then the delegated ones), read
    once per request."""
    user = request.user
    if not isinstance(user, User):
        return []
    cached: list[Account] | None = getattr(request, _OPENABLE, None)
    if cached is None:
        cached, rights = webmail_mailboxes(user)
        setattr(request, _OPENABLE, cached)
        setattr(request, _RIGHTS, rights)
    return cached


def delegated_rights(request: HttpRequest) -> dict[int, str]:
    """The right of each mailbox the person opens as a delegate, by id (no further query)."""
    openable_mailboxes(request)
    rights: dict[int, str] = getattr(request, _RIGHTS, {})
    return rights


def delegated_right(request: HttpRequest, mailbox: Account) -> str | None:
    """The person's delegate right on this mailbox, None when it is theirs or linked."""
    return delegated_rights(request).get(mailbox.pk)


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
            if mailbox_id is not None and mailbox is not None:
                messages.warning(
                    request,
                    "La boîte que vous utilisiez ne vous est plus accessible (délégation ou "
                    "rattachement retiré, ou boîte désactivée) : retour à la boîte "
                    f"{mailbox.email}.",
                    fail_silently=True,
                )
    return mailbox


def use_mailbox(request: HttpRequest, mailbox: Account | None) -> None:
    """Make this mailbox the one in use for the rest of the session."""
    request.session[SESSION_KEY] = mailbox.pk if mailbox is not None else None
