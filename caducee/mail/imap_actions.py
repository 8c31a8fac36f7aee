"""What a mail client does over IMAP beyond filing and marking (issue #18): copying,
appending and expunging messages. Moving and marking use `folders.move_messages` and
`folders.set_flags`, as the webmail does; reading uses `access.audit_shared`.

Each action checks the mailbox (`access.require_mailbox`) and is audited; messages entering
a folder get their IMAP UID from `uids.assign`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from caducee.accounts.delegation_rights import Capability
from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.mail import inbound, mime, store
from caducee.mail.access import require_mailbox
from caducee.mail.folders import SYSTEM_KEYS, delete_rows
from caducee.mail.models import Folder, Message, Space, SystemFolder


def require_folder(mailbox: Account, space: str, folder: str) -> None:
    """The folder exists in that space of the mailbox, else NotFound."""
    if space not in Space.values:
        raise NotFound("Dossier introuvable.")
    if folder in SYSTEM_KEYS:
        return
    if (
        folder.startswith("f")
        and folder[1:].isdigit()
        and Folder.objects.filter(pk=int(folder[1:]), mailbox=mailbox, space=space).exists()
    ):
        return
    raise NotFound("Dossier introuvable.")


def copy_messages(
    ctx: Context, mailbox: Account, ids: Iterable[int], space: str, folder: str
) -> list[int]:
    """A user of the mailbox; audits `mail.copy`.

    Copy messages into a folder of the same space (a new file and row each); returns the
    new rows' ids, in the order of the ids given."""
    require_mailbox(ctx, mailbox, Capability.FILE)
    require_folder(mailbox, space, folder)
    wanted = [int(i) for i in ids]
    rows = {m.pk: m for m in Message.objects.filter(mailbox=mailbox, pk__in=wanted)}
    if len(rows) != len(set(wanted)):
        raise NotFound("Message introuvable.")
    if any(m.space != space for m in rows.values()):
        raise Invalid("Un message ne se copie pas d'un espace à l'autre (Prof. Santé, Patient).")
    created: list[int] = []
    with transaction.atomic():
        for pk in wanted:
            source = rows[pk]
            copy = Message.objects.get(pk=pk)
            copy.pk = None
            copy.folder = folder
            copy.previous_folder = ""
            copy.imap_uid = 0
            copy.imap_folder = ""
            copy.path = store.write(str(mailbox.pk), store.read(source.path))
            copy.save(force_insert=True)
            created.append(copy.pk)
        record_event(
            ctx,
            AuditAction.MAIL_COPY,
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "folder": folder, "count": len(created)},
        )
    return created


def append_message(
    ctx: Context,
    mailbox: Account,
    space: str,
    folder: str,
    data: bytes,
    states: dict[str, bool],
    received_at: dt.datetime | None = None,
) -> Message:
    """A user of the mailbox; audits `mail.append`.

    Store a message a mail client puts in a folder (a draft, a copy of a sent message).
    The copy a client files in « Messages envoyés » after sending through submission is
    already there (submission files it): the row already stored is returned, not a second
    one."""
    require_mailbox(ctx, mailbox, Capability.FILE)
    require_folder(mailbox, space, folder)
    if not data.strip():
        raise Invalid("Le message est vide.")
    parsed = mime.parse(data)
    if folder == SystemFolder.SENT and parsed.message_id:
        filed = Message.objects.filter(
            mailbox=mailbox, space=space, folder=folder, message_id=parsed.message_id
        ).first()
        if filed is not None:
            return filed
    with transaction.atomic():
        row = inbound.prepare_message(mailbox.pk, data, folder=folder, space=space, parsed=parsed)
        for column, value in states.items():
            setattr(row, column, value)
        if received_at is not None:
            row.received_at = received_at
        if folder == SystemFolder.SENT and ctx.user is not None:
            row.sender_person = ctx.user
        row.save(force_insert=True)
        record_event(
            ctx,
            AuditAction.MAIL_APPEND,
            structure=mailbox.structure,
            target=row,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "folder": folder, "size": row.size},
        )
    return row


def expunge(
    ctx: Context, mailbox: Account, space: str, folder: str, uids: Iterable[int] | None = None
) -> list[int]:
    """A user of the mailbox; audits `mail.delete`.

    Delete for good the folder's messages marked deleted (IMAP \\Deleted), or only those
    of them whose UID is in `uids`; returns the UIDs deleted."""
    require_mailbox(ctx, mailbox, Capability.DELETE)
    rows = Message.objects.filter(mailbox=mailbox, space=space, folder=folder, deleted_mark=True)
    if uids is not None:
        rows = rows.filter(imap_uid__in=list(uids))
    with transaction.atomic():
        gone = sorted(rows.values_list("imap_uid", flat=True))
        if not gone:
            return []
        deleted = delete_rows(rows)
        record_event(
            ctx,
            AuditAction.MAIL_DELETE,
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "folder": folder, "deleted": deleted},
        )
    return gone
