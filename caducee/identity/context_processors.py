"""Header data: the mailbox in use and the mailboxes "Changer de compte" offers.

Both come from one read of the person's openable mailboxes per request (session_mailbox),
evaluated only when the header shows them: the header costs a fixed number of queries,
whatever the number of linked mailboxes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from caducee.identity.session_mailbox import (
    current_mailbox,
    delegated_rights,
    openable_mailboxes,
)
from caducee.people.models import User


def mailbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {
        "current_mailbox": SimpleLazyObject(lambda: current_mailbox(request)),
        "openable_mailboxes": SimpleLazyObject(lambda: openable_mailboxes(request)),
        # The ids of the mailboxes opened as a delegate (no further query).
        "delegated_mailboxes": SimpleLazyObject(lambda: set(delegated_rights(request))),
    }
