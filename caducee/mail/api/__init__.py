"""REST API of the messaging (webmail's actions, and business software's APP mailboxes).

The token belongs to a physical person; `mailbox` names the address acted as, which must
be the person's own mailbox or an ORG/APP mailbox they are a connection account of. Every
route is a thin adapter over `caducee.mail.operations` with the Context acting as that
mailbox, so the audit of a shared mailbox names the physical person.

- `messages.py`: mailboxes, listing, reading, sending, replying, forwarding, the bin;
- `filing.py`: folders, moving, marking, exporting, emptying the bin;
- `drafts.py`: drafts;
- `app_passwords.py`: the person's application passwords (mail clients);
- `settings.py`: the person's « Paramètres » (default mailbox, receipt notifications,
  colleagues proposed on ORG mailboxes).
- `autoreply.py`: a mailbox's automatic reply (issue #18).
"""

from __future__ import annotations

from caducee.mail.api import app_passwords, autoreply, drafts, filing, messages, settings
from caducee.mail.api.common import acting_as, router

__all__ = [
    "acting_as",
    "app_passwords",
    "autoreply",
    "drafts",
    "filing",
    "messages",
    "router",
    "settings",
]
