"""Messaging actions: every adapter (webmail, API, SMTP, CLI) calls these functions.

Writes are atomic and audited. In a shared (ORG/APP) mailbox every read, send, move and
delete is an audit event naming the physical person (the Context's user).

The actions live in their own modules; this one re-exports them, so
`from caducee.mail.operations import …` keeps working:

- `access.py`: who may use a mailbox (`require_mailbox`, `get_message`), reading;
- `inbound.py`: storing messages, delivering received ones;
- `sending.py`: sending, drafts, the outgoing queue's purge;
- `folders.py`: filing (move, bin, mark, export) and folders;
- `app_passwords.py`: the passwords of mail clients;
- `compose.py`: reply and forward drafts (pure functions).
"""

from __future__ import annotations

from caducee.mail.access import (
    audit_shared,
    get_message,
    messages_in,
    raw_message,
    read_message,
    require_mailbox,
    search_in,
)
from caducee.mail.app_passwords import (
    check_app_password,
    create_app_password,
    revoke_app_password,
)
from caducee.mail.folders import (
    SYSTEM_KEYS,
    create_folder,
    delete_folder,
    delete_rows,
    empty_trash,
    export_messages,
    get_folder,
    mark_seen,
    move_messages,
    rename_folder,
    set_flags,
    trash_messages,
)
from caducee.mail.inbound import (
    commit_inbound,
    deliver_inbound,
    prepare_message,
    space_for,
    store_message,
)
from caducee.mail.sending import (
    SendResult,
    purge_delivered,
    save_draft,
    send_message,
    submit_raw,
)

__all__ = [
    "SYSTEM_KEYS",
    "SendResult",
    "audit_shared",
    "check_app_password",
    "commit_inbound",
    "create_app_password",
    "create_folder",
    "delete_folder",
    "delete_rows",
    "deliver_inbound",
    "empty_trash",
    "export_messages",
    "get_folder",
    "get_message",
    "mark_seen",
    "messages_in",
    "move_messages",
    "prepare_message",
    "purge_delivered",
    "raw_message",
    "read_message",
    "rename_folder",
    "require_mailbox",
    "revoke_app_password",
    "save_draft",
    "search_in",
    "send_message",
    "set_flags",
    "space_for",
    "store_message",
    "submit_raw",
    "trash_messages",
]
