"""IMAP UIDs (issue #18): the one place where a message gets its UID in a folder.

Folders and flags live only in the database, so the IMAP service and the webmail read the
same rows. A UID belongs to one folder (`Message.imap_folder`, "space/folder"); a message
without one there (just delivered, appended, copied or moved in by any path) gets the
folder's next UID when IMAP next looks at the folder (`assign`), in arrival order, so UIDs
only ever go up within a folder. The paths that move a message clear its UID
(`imap_uid=0`), so a message moved out and back gets a new, higher UID, as RFC 3501 asks.
UIDVALIDITY is the id of the folder's `ImapFolderState` row, never reused: a folder deleted
and created again under the same name has a new one.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from caducee.mail.models import ImapFolderState, Message


def folder_key(space: str, folder: str) -> str:
    return f"{space}/{folder}"


def pending(mailbox_id: int, space: str, folder: str) -> QuerySet[Message]:
    """The messages of the folder that have no UID there yet."""
    return Message.objects.filter(mailbox_id=mailbox_id, space=space, folder=folder).filter(
        Q(imap_uid=0) | ~Q(imap_folder=folder_key(space, folder))
    )


def assign(mailbox_id: int, space: str, folder: str) -> ImapFolderState:
    """Give the folder's messages without a UID their UIDs; return the folder's state."""
    state = ImapFolderState.objects.filter(
        mailbox_id=mailbox_id, space=space, folder=folder
    ).first()
    if state is not None and not pending(mailbox_id, space, folder).exists():
        return state
    key = folder_key(space, folder)
    with transaction.atomic():
        state, _ = ImapFolderState.objects.get_or_create(
            mailbox_id=mailbox_id, space=space, folder=folder
        )
        # Lock the counter first (SQLite: the write lock; PostgreSQL: the row), then read.
        ImapFolderState.objects.filter(pk=state.pk).update(uid_next=F("uid_next"))
        state = ImapFolderState.objects.select_for_update().get(pk=state.pk)
        ids = list(
            pending(mailbox_id, space, folder)
            .order_by("received_at", "id")
            .values_list("id", flat=True)
        )
        if ids:
            first = state.uid_next
            table = connection.ops.quote_name(Message._meta.db_table)
            sql = f"UPDATE {table} SET imap_uid = %s, imap_folder = %s WHERE id = %s"  # noqa: S608 - table name from the model
            with connection.cursor() as cursor:  # one statement, many rows: fast on both
                cursor.executemany(
                    sql,
                    [(first + n, key, pk) for n, pk in enumerate(ids)],
                )
            state.uid_next = first + len(ids)
            state.save(update_fields=["uid_next"])
    return state
