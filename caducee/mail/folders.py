"""Filing: moving, binning, marking and exporting messages, and the person's folders.

Each action checks the mailbox (`access.require_mailbox`, with the capability a delegate
needs: `accounts.delegation_rights`) and is audited.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from caducee.accounts import activity
from caducee.accounts.delegation_rights import Capability
from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.mail import mime, store
from caducee.mail.access import audit_shared, require_mailbox
from caducee.mail.models import Folder, Message, Space, SystemFolder

SYSTEM_KEYS = {f.value for f in SystemFolder}


def _selected(mailbox: Account, ids: Iterable[int]) -> QuerySet[Message]:
    wanted = {int(i) for i in ids}
    if not wanted:
        raise Invalid("Sélectionnez au moins un message.")
    rows = Message.objects.filter(mailbox=mailbox, pk__in=wanted)
    if rows.count() != len(wanted):
        raise NotFound("Message introuvable.")
    return rows


def _folder_exists(mailbox: Account, space: str, key: str) -> bool:
    if key in SYSTEM_KEYS:
        return True
    if key.startswith("f") and key[1:].isdigit():
        return Folder.objects.filter(pk=int(key[1:]), mailbox=mailbox, space=space).exists()
    return False


def move_messages(ctx: Context, mailbox: Account, ids: Iterable[int], folder: str) -> int:
    """A user of the mailbox; audits `mail.move`."""
    require_mailbox(ctx, mailbox, Capability.FILE)
    rows = _selected(mailbox, ids)
    spaces = set(rows.values_list("space", flat=True))
    if folder in {SystemFolder.DRAFTS} or not all(
        _folder_exists(mailbox, s, folder) for s in spaces
    ):
        raise Invalid("Choisissez un dossier de destination valide.")
    with transaction.atomic():
        count = rows.update(folder=folder, previous_folder="", imap_uid=0)  # uids.py
        record_event(
            ctx,
            AuditAction.MAIL_MOVE,
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "folder": folder, "count": count},
        )
    return count


def trash_messages(ctx: Context, mailbox: Account, ids: Iterable[int]) -> int:
    """A user of the mailbox; audits `mail.delete`.

    Send to the bin; messages already in the bin are deleted for good."""
    require_mailbox(ctx, mailbox, Capability.DELETE)
    rows = _selected(mailbox, ids)
    with transaction.atomic():
        in_bin = rows.filter(folder=SystemFolder.TRASH)
        deleted = delete_rows(in_bin)
        moved = 0
        for folder in set(rows.exclude(folder=SystemFolder.TRASH).values_list("folder", flat=True)):
            moved += rows.filter(folder=folder).update(
                folder=SystemFolder.TRASH, previous_folder=folder, imap_uid=0
            )
        record_event(
            ctx,
            AuditAction.MAIL_DELETE,
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "to_bin": moved, "deleted": deleted},
        )
    return moved + deleted


def empty_trash(ctx: Context, mailbox: Account, space: str) -> int:
    """A user of the mailbox; audits `mail.empty_trash`."""
    require_mailbox(ctx, mailbox, Capability.DELETE)
    if space not in Space.values:
        raise Invalid("Espace inconnu.")
    with transaction.atomic():
        deleted = delete_rows(
            Message.objects.filter(mailbox=mailbox, space=space, folder=SystemFolder.TRASH)
        )
        record_event(
            ctx,
            AuditAction.MAIL_EMPTY_TRASH,
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "space": space, "deleted": deleted},
        )
    return deleted


def delete_rows(rows: QuerySet[Message]) -> int:
    """Delete the rows; their files go once the transaction has committed."""
    paths = list(rows.values_list("path", flat=True))
    count, _ = rows.delete()
    if paths:

        def remove_files() -> None:
            for path in paths:
                store.delete(path)

        transaction.on_commit(remove_files)
    return count


def mark_seen(ctx: Context, mailbox: Account, ids: Iterable[int], seen: bool) -> int:
    """A user of the mailbox; audits `mail.mark` in a shared mailbox."""
    return set_flags(ctx, mailbox, ids, {"seen": seen})


# The states a message carries, by their IMAP names (issue #18); \Draft is the folder.
FLAG_COLUMNS = {
    "\\Seen": "seen",
    "\\Flagged": "flagged",
    "\\Answered": "answered",
    "\\Deleted": "deleted_mark",
}


def set_flags(ctx: Context, mailbox: Account, ids: Iterable[int], changes: dict[str, bool]) -> int:
    """A user of the mailbox; audits `mail.mark` in a shared mailbox.

    Set states of the messages: `changes` maps `seen`, `flagged`, `answered` or
    `deleted_mark` (IMAP \\Deleted, until EXPUNGE) to their new value."""
    require_mailbox(ctx, mailbox)
    unknown = set(changes) - set(FLAG_COLUMNS.values())
    if unknown:
        raise Invalid(f"État de message inconnu : {', '.join(sorted(unknown))}.")
    rows = _selected(mailbox, ids)
    if not changes:
        return rows.count()
    with transaction.atomic():
        count = rows.update(**changes)
        if changes.get("seen") and count:
            activity.note(activity.Activity.READ, [mailbox.pk])
        audit_shared(ctx, mailbox, AuditAction.MAIL_MARK, None, count=count, **changes)
    return count


def export_messages(ctx: Context, mailbox: Account, ids: Iterable[int]) -> tuple[str, str, bytes]:
    """A user of the mailbox; audits `mail.export` in a shared mailbox.

    One message as .eml, several as a .zip of .eml files."""
    require_mailbox(ctx, mailbox)
    rows = list(_selected(mailbox, ids).order_by("received_at", "id"))
    with transaction.atomic():
        audit_shared(ctx, mailbox, AuditAction.MAIL_EXPORT, None, count=len(rows))
    if len(rows) == 1:
        name = mime.sanitise_filename(rows[0].subject or "message", "message")[:80] + ".eml"
        return name, "message/rfc822", store.read(rows[0].path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, row in enumerate(rows, 1):
            stem = mime.sanitise_filename(row.subject or "message", "message")[:60]
            archive.writestr(f"{n:04d}-{stem}.eml", store.read(row.path))
    return "messages.zip", "application/zip", buffer.getvalue()


# --- folders --------------------------------------------------------------------------


def _folder_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("Donnez un nom au dossier.", [Problem("name", "required", "Nom requis.")])
    if len(name) > 80:
        raise Invalid("Le nom du dossier est limité à 80 caractères.")
    if name.lower() in {f.label.lower() for f in SystemFolder}:
        raise Invalid(f"« {name} » est le nom d'un dossier du système : choisissez-en un autre.")
    return name


def create_folder(ctx: Context, mailbox: Account, space: str, name: str) -> Folder:
    """A user of the mailbox; audits `mail.folder_create`."""
    require_mailbox(ctx, mailbox, Capability.FILE)
    if space not in Space.values:
        raise Invalid("Espace inconnu.")
    name = _folder_name(name)
    if Folder.objects.filter(mailbox=mailbox, space=space, name__iexact=name).exists():
        raise Invalid(f"Un dossier « {name} » existe déjà dans cet espace.")
    with transaction.atomic():
        folder = Folder.objects.create(mailbox=mailbox, space=space, name=name)
        record_event(
            ctx,
            AuditAction.MAIL_FOLDER_CREATE,
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "name": name, "space": space},
        )
    return folder


def get_folder(
    ctx: Context, mailbox: Account, folder_id: int, need: Capability = Capability.READ
) -> Folder:
    """A user of the mailbox (whose delegate right allows `need`); no audit. The folder,
    else NotFound."""
    require_mailbox(ctx, mailbox, need)
    folder = Folder.objects.filter(pk=folder_id, mailbox=mailbox).first()
    if folder is None:
        raise NotFound("Dossier introuvable.")
    return folder


def rename_folder(ctx: Context, mailbox: Account, folder_id: int, name: str) -> Folder:
    """A user of the mailbox; audits `mail.folder_rename`."""
    folder = get_folder(ctx, mailbox, folder_id, Capability.FILE)
    name = _folder_name(name)
    if (
        Folder.objects.filter(mailbox=mailbox, space=folder.space, name__iexact=name)
        .exclude(pk=folder.pk)
        .exists()
    ):
        raise Invalid(f"Un dossier « {name} » existe déjà dans cet espace.")
    with transaction.atomic():
        old = folder.name
        folder.name = name
        folder.save(update_fields=["name"])
        record_event(
            ctx,
            AuditAction.MAIL_FOLDER_RENAME,
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "from": old, "to": name},
        )
    return folder


def delete_folder(ctx: Context, mailbox: Account, folder_id: int) -> int:
    """A user of the mailbox; audits `mail.folder_delete`.

    Delete a folder; its messages go to the bin (nothing is lost silently)."""
    folder = get_folder(ctx, mailbox, folder_id, Capability.FILE)
    with transaction.atomic():
        moved = Message.objects.filter(mailbox=mailbox, folder=folder.key).update(
            folder=SystemFolder.TRASH, previous_folder="", imap_uid=0
        )
        record_event(
            ctx,
            AuditAction.MAIL_FOLDER_DELETE,
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "name": folder.name, "to_bin": moved},
        )
        folder.delete()
    return moved
