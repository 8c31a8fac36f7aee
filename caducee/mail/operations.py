"""Messaging actions: every adapter (webmail, API, SMTP, CLI) calls these functions.

Writes are atomic and audited. In a shared (ORG/APP) mailbox every read, send, move and
delete is an audit event naming the physical person (the Context's user).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from caducee.accounts.models import Account, ConnectionLink
from caducee.audit.log import record
from caducee.core.bulk import insert_rows
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity.mailboxes import may_open, openable
from caducee.mail import addresses, dedupe, mime, store
from caducee.mail.models import (
    AppPassword,
    Folder,
    Message,
    Outbound,
    OutboundBody,
    QueueState,
    Space,
    SystemFolder,
)
from caducee.people.models import User

SYSTEM_KEYS = {f.value for f in SystemFolder}


# --- access ---------------------------------------------------------------------------


def require_mailbox(ctx: Context, mailbox: Account) -> None:
    """The person may use this mailbox (own, or linked ORG/APP); else it does not exist."""
    if ctx.user is None:
        if ctx.channel in {"smtp", "system", "cli"}:
            return
        raise NotFound("Boîte introuvable.")
    if not may_open(ctx.user, mailbox):
        raise NotFound("Boîte introuvable.")


def get_message(ctx: Context, mailbox: Account, message_id: int) -> Message:
    require_mailbox(ctx, mailbox)
    message = Message.objects.filter(pk=message_id, mailbox=mailbox).first()
    if message is None:
        raise NotFound("Message introuvable.")
    return message


def messages_in(mailbox: Account, space: str, folder: str, query: str = "") -> QuerySet[Message]:
    """Messages of one folder, newest first (served by the `mail_list` index)."""
    rows = Message.objects.filter(mailbox=mailbox, space=space, folder=folder)
    query = query.strip()
    if query:
        rows = rows.filter(
            Q(sender__icontains=query) | Q(subject__icontains=query) | Q(body_text__icontains=query)
        )
    return rows.order_by("-received_at", "-id")


def _audit_shared(
    ctx: Context, mailbox: Account, action: str, target: Message | None, **detail: object
) -> None:
    if mailbox.is_shared:
        record(
            ctx,
            action,
            structure=mailbox.structure,
            target=target,
            target_label=f"{mailbox.email}",
            detail={"mailbox": mailbox.email, **detail},
        )


# --- storing --------------------------------------------------------------------------


def space_for(correspondents: Iterable[str]) -> str:
    patient = settings.PATIENT_DOMAIN
    for address in correspondents:
        if addresses.domain_of(addresses.normalise(address) or address) == patient:
            return Space.PATIENT
    return Space.PRO


def prepare_message(
    mailbox_id: int,
    data: bytes,
    *,
    folder: str = SystemFolder.INBOX,
    space: str | None = None,
    seen: bool = False,
    sender_person: User | None = None,
    parsed: mime.Parsed | None = None,
) -> Message:
    """Write the file durably and return the (unsaved) row describing it."""
    info = parsed or mime.parse(data)
    if space is None:
        correspondents = (
            [info.sender] if folder == SystemFolder.INBOX else mime.address_list(info.to)
        )
        space = space_for(correspondents)
    path = store.write(str(mailbox_id), data)
    return Message(
        mailbox_id=mailbox_id,
        space=space,
        folder=folder,
        message_id=info.message_id,
        sender=info.sender,
        recipients=info.to,
        cc=info.cc,
        subject=info.subject,
        date=info.date,
        received_at=timezone.now(),
        size=len(data),
        seen=seen,
        has_attachments=info.has_attachments,
        path=path,
        body_text=mime.search_text(info),
        sender_person=sender_person,
    )


def store_message(mailbox: Account, data: bytes, **options: Any) -> Message:
    """Write the file durably, then the row; the caller commits before answering."""
    row = prepare_message(mailbox.pk, data, **options)
    row.save(force_insert=True)
    return row


_ROW_COLUMNS = tuple(str(f.attname) for f in Message._meta.concrete_fields if not f.primary_key)


def commit_inbound(rows: list[Message], notify: set[int]) -> None:
    """Save prepared inbox rows in one transaction (group commit for the SMTP service);
    `notify` holds the ORG mailboxes among them. The rows get no primary key back."""
    with transaction.atomic():
        insert_rows(Message, _ROW_COLUMNS, [[getattr(r, c) for c in _ROW_COLUMNS] for r in rows])
        if notify:
            for mailbox in Account.objects.filter(pk__in=notify, type="ORG"):
                _notify_receipt(mailbox)


def deliver_inbound(data: bytes, mailboxes: list[Account]) -> list[Message]:
    """Put a received message in each mailbox's inbox; committed when this returns."""
    parsed = mime.parse(data)
    stored: list[Message] = []
    with transaction.atomic():
        for mailbox in mailboxes:
            stored.append(store_message(mailbox, data, parsed=parsed))
            if mailbox.type == "ORG":
                _notify_receipt(mailbox)
    return stored


def _notify_receipt(mailbox: Account) -> None:
    """Tell the connection accounts that asked for it; no content of the message."""
    from caducee.core.email import send_on_commit
    from caducee.identity.links import base_url

    links = ConnectionLink.objects.filter(mailbox=mailbox, notify_on_receipt=True).select_related(
        "account"
    )
    for link in links:
        # A background task: the messages are stored (committed) whatever the relay does;
        # an outage must never turn them into a 4xx that makes every sender retry.
        send_on_commit(
            link.account.email,
            "mail_received",
            {
                "mailbox": addresses.sender_address(mailbox),
                "mailbox_name": mailbox.display_name,
                "url": f"{base_url()}/messagerie/",
            },
        )


# --- sending --------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: Message
    local: int
    queued: int


def _check_space(space: str, recipients: list[addresses.Recipient]) -> None:
    patient = settings.PATIENT_DOMAIN
    for r in recipients:
        in_patient = addresses.domain_of(r.address) == patient
        if space == Space.PATIENT and not in_patient:
            raise Invalid(
                f"{r.address} : dans l'espace Patient, les destinataires sont des adresses "
                f"@{patient}. Utilisez « Nouveau message Prof. Santé » pour les professionnels."
            )
        if space == Space.PRO and in_patient:
            raise Invalid(
                f"{r.address} est l'adresse d'un patient : utilisez « Nouveau message Patient »."
            )


def _dispatch(
    mailbox: Account,
    data: bytes,
    recipients: list[addresses.Recipient],
) -> tuple[int, int]:
    """Deliver inside, queue the rest; inside the caller's transaction."""
    local = [r.account for r in recipients if r.account is not None]
    unique_local = list({a.pk: a for a in local}.values())
    if unique_local:
        deliver_inbound(data, unique_local)
    remote = [r for r in recipients if r.account is None]
    if remote:
        # The bytes go in the database with the rows (same transaction): any delivery
        # worker, on any machine, can send them; committed before the caller answers.
        now = timezone.now()
        body = OutboundBody.objects.create(data=data, size=len(data), created_at=now)
        Outbound.objects.bulk_create(
            [
                Outbound(
                    sender=addresses.sender_address(mailbox),
                    recipient=r.address,
                    domain=addresses.domain_of(r.address),
                    body=body,
                    mailbox=mailbox,
                    next_attempt_at=now,
                    created_at=now,
                )
                for r in {r.address: r for r in remote}.values()
            ]
        )
    return len(unique_local), len(remote)


def send_message(
    ctx: Context, mailbox: Account, draft: mime.Draft, *, space: str, draft_id: int | None = None
) -> SendResult:
    require_mailbox(ctx, mailbox)
    if space not in Space.values:
        raise Invalid("Espace inconnu.")
    draft.sender = addresses.sender_address(mailbox)
    draft.sender_name = mailbox.display_name
    all_rcpts = draft.to + draft.cc + draft.bcc
    if not all_rcpts:
        raise Invalid(
            "Ajoutez au moins un destinataire (À, Cc ou Cci).",
            [Problem("to", "required", "Ajoutez au moins un destinataire.")],
        )
    recipients = (
        addresses.check_recipients(mailbox, draft.to, "to")
        + addresses.check_recipients(mailbox, draft.cc, "cc")
        + addresses.check_recipients(mailbox, draft.bcc, "bcc")
    )
    _check_space(space, recipients)
    full = mime.compose(draft, include_bcc=True, domain=addresses.domain_of(draft.sender))
    public = _without_bcc(full) if draft.bcc else full
    with transaction.atomic():
        sent = store_message(
            mailbox,
            full,
            folder=SystemFolder.SENT,
            space=space,
            seen=True,
            sender_person=ctx.user,
        )
        local, queued = _dispatch(mailbox, public, recipients)
        if draft_id is not None:
            _delete_rows(Message.objects.filter(mailbox=mailbox, pk=draft_id, folder="drafts"))
        _record_send(ctx, mailbox, sent, recipients, local, queued)
    return SendResult(sent, local, queued)


def submit_raw(
    ctx: Context, mailbox: Account, envelope_rcpts: list[str], data: bytes
) -> SendResult:
    """A message composed by a mail client (SMTP submission) or by software (API)."""
    require_mailbox(ctx, mailbox)
    recipients = addresses.check_recipients(mailbox, envelope_rcpts)
    parsed = mime.parse(data)
    _check_sender_headers(ctx, mailbox, data, parsed.sender)
    first = dedupe.already_submitted(mailbox.pk, parsed.message_id)
    if first is not None:  # a client's retry: already stored, delivered and queued
        return SendResult(first, 0, 0)
    public = _without_bcc(data)
    space = space_for([r.address for r in recipients])
    with transaction.atomic():
        sent = store_message(
            mailbox,
            data,
            folder=SystemFolder.SENT,
            space=space,
            seen=True,
            sender_person=ctx.user,
            parsed=parsed,
        )
        local, queued = _dispatch(mailbox, public, recipients)
        _record_send(ctx, mailbox, sent, recipients, local, queued)
    return SendResult(sent, local, queued)


def _record_send(
    ctx: Context,
    mailbox: Account,
    sent: Message,
    recipients: list[addresses.Recipient],
    local: int,
    queued: int,
) -> None:
    """The audit event of a send: who, from which mailbox, to whom (never the content)."""
    record(
        ctx,
        "mail.send",
        structure=mailbox.structure,
        target=sent,
        target_label=mailbox.email,
        detail={
            "mailbox": mailbox.email,
            "message_id": sent.message_id,
            "recipients": [r.address for r in recipients][:50],
            "local": local,
            "queued": queued,
        },
    )


def _check_sender_headers(ctx: Context, mailbox: Account, data: bytes, first_from: str) -> None:
    """One `From:`, naming the mailbox sending; a `Sender:` must be an address the person
    may send as (their own mailbox, or an ORG/APP mailbox they are linked to)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(data)
    if len(headers.get_all("From") or []) > 1:
        raise Invalid(
            "Le message porte plusieurs en-têtes From : un seul est admis, l'adresse de la "
            f"boîte qui envoie ({addresses.sender_address(mailbox)})."
        )
    _check_header_from(mailbox, first_from)
    values = [" ".join(str(v).split()) for v in headers.get_all("Sender") or []]
    if not values:
        return
    found = [addresses.normalise(addr) for _, addr in getaddresses(values)]
    allowed = openable(ctx.user) if ctx.user is not None else []
    if len(values) > 1 or len(found) != 1 or not found[0]:
        raise Invalid("L'en-tête Sender doit apparaître une fois au plus et porter une adresse.")
    if addresses.may_send_as(allowed, found[0]) is None:
        raise Invalid(
            f"L'en-tête Sender ({values[0]}) doit être une adresse avec laquelle vous pouvez "
            "envoyer : votre boîte ou une boîte partagée à laquelle vous êtes rattaché."
        )


def _check_header_from(mailbox: Account, header: str) -> None:
    """The From: header must name the mailbox sending (no spoofing behind a valid login)."""
    senders = mime.address_list(header)
    own = {addresses.sender_address(mailbox), mailbox.email.lower()}
    if not senders or any(addresses.normalise(a) not in own for a in senders):
        raise Invalid(
            f"L'en-tête From ({header or 'absent'}) doit être l'adresse de la boîte "
            f"qui envoie : {addresses.sender_address(mailbox)}."
        )


def _without_bcc(data: bytes) -> bytes:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    lines = head.splitlines(keepends=True)
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(b"bcc:")
        if not skipping:
            kept.append(line)
    return b"".join(kept) + sep + body


def save_draft(
    ctx: Context, mailbox: Account, draft: mime.Draft, *, space: str, draft_id: int | None = None
) -> Message:
    require_mailbox(ctx, mailbox)
    draft.sender = addresses.sender_address(mailbox)
    draft.sender_name = mailbox.display_name
    data = mime.compose(draft, include_bcc=True, domain=addresses.domain_of(draft.sender))
    with transaction.atomic():
        if draft_id is not None:
            _delete_rows(Message.objects.filter(mailbox=mailbox, pk=draft_id, folder="drafts"))
        message = store_message(
            mailbox,
            data,
            folder=SystemFolder.DRAFTS,
            space=space,
            seen=True,
            sender_person=ctx.user,
        )
        _audit_shared(ctx, mailbox, "mail.draft_save", message)
    return message


# --- reading and filing ---------------------------------------------------------------


def read_message(ctx: Context, mailbox: Account, message_id: int) -> tuple[Message, mime.Parsed]:
    message = get_message(ctx, mailbox, message_id)
    parsed = mime.parse(store.read(message.path))
    with transaction.atomic():
        if not message.seen:
            Message.objects.filter(pk=message.pk).update(seen=True)
            message.seen = True
        _audit_shared(ctx, mailbox, "mail.read", message, message_id=message.message_id)
    return message, parsed


def raw_message(ctx: Context, mailbox: Account, message_id: int) -> tuple[Message, bytes]:
    message = get_message(ctx, mailbox, message_id)
    return message, store.read(message.path)


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
    require_mailbox(ctx, mailbox)
    rows = _selected(mailbox, ids)
    spaces = set(rows.values_list("space", flat=True))
    if folder in {SystemFolder.DRAFTS} or not all(
        _folder_exists(mailbox, s, folder) for s in spaces
    ):
        raise Invalid("Choisissez un dossier de destination valide.")
    with transaction.atomic():
        count = rows.update(folder=folder, previous_folder="")
        record(
            ctx,
            "mail.move",
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "folder": folder, "count": count},
        )
    return count


def trash_messages(ctx: Context, mailbox: Account, ids: Iterable[int]) -> int:
    """Send to the bin; messages already in the bin are deleted for good."""
    require_mailbox(ctx, mailbox)
    rows = _selected(mailbox, ids)
    with transaction.atomic():
        in_bin = rows.filter(folder=SystemFolder.TRASH)
        deleted = _delete_rows(in_bin)
        moved = 0
        for folder in set(rows.exclude(folder=SystemFolder.TRASH).values_list("folder", flat=True)):
            moved += rows.filter(folder=folder).update(
                folder=SystemFolder.TRASH, previous_folder=folder
            )
        record(
            ctx,
            "mail.delete",
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "to_bin": moved, "deleted": deleted},
        )
    return moved + deleted


def empty_trash(ctx: Context, mailbox: Account, space: str) -> int:
    require_mailbox(ctx, mailbox)
    with transaction.atomic():
        deleted = _delete_rows(
            Message.objects.filter(mailbox=mailbox, space=space, folder=SystemFolder.TRASH)
        )
        record(
            ctx,
            "mail.empty_trash",
            structure=mailbox.structure,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "space": space, "deleted": deleted},
        )
    return deleted


def _delete_rows(rows: QuerySet[Message]) -> int:
    paths = list(rows.values_list("path", flat=True))
    count, _ = rows.delete()
    if paths:

        def remove_files() -> None:
            for path in paths:
                store.delete(path)

        transaction.on_commit(remove_files)
    return count


def mark_seen(ctx: Context, mailbox: Account, ids: Iterable[int], seen: bool) -> int:
    require_mailbox(ctx, mailbox)
    rows = _selected(mailbox, ids)
    with transaction.atomic():
        count = rows.update(seen=seen)
        _audit_shared(ctx, mailbox, "mail.mark", None, seen=seen, count=count)
    return count


def export_messages(ctx: Context, mailbox: Account, ids: Iterable[int]) -> tuple[str, str, bytes]:
    """One message as .eml, several as a .zip of .eml files."""
    require_mailbox(ctx, mailbox)
    rows = list(_selected(mailbox, ids).order_by("received_at", "id"))
    with transaction.atomic():
        _audit_shared(ctx, mailbox, "mail.export", None, count=len(rows))
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
    require_mailbox(ctx, mailbox)
    if space not in Space.values:
        raise Invalid("Espace inconnu.")
    name = _folder_name(name)
    if Folder.objects.filter(mailbox=mailbox, space=space, name__iexact=name).exists():
        raise Invalid(f"Un dossier « {name} » existe déjà dans cet espace.")
    with transaction.atomic():
        folder = Folder.objects.create(mailbox=mailbox, space=space, name=name)
        record(
            ctx,
            "mail.folder_create",
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "name": name, "space": space},
        )
    return folder


def get_folder(ctx: Context, mailbox: Account, folder_id: int) -> Folder:
    require_mailbox(ctx, mailbox)
    folder = Folder.objects.filter(pk=folder_id, mailbox=mailbox).first()
    if folder is None:
        raise NotFound("Dossier introuvable.")
    return folder


def rename_folder(ctx: Context, mailbox: Account, folder_id: int, name: str) -> Folder:
    folder = get_folder(ctx, mailbox, folder_id)
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
        record(
            ctx,
            "mail.folder_rename",
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "from": old, "to": name},
        )
    return folder


def delete_folder(ctx: Context, mailbox: Account, folder_id: int) -> int:
    """Delete a folder; its messages go to the bin (nothing is lost silently)."""
    folder = get_folder(ctx, mailbox, folder_id)
    with transaction.atomic():
        moved = Message.objects.filter(mailbox=mailbox, folder=folder.key).update(
            folder=SystemFolder.TRASH, previous_folder=""
        )
        record(
            ctx,
            "mail.folder_delete",
            structure=mailbox.structure,
            target=folder,
            detail={"mailbox": mailbox.email, "name": folder.name, "to_bin": moved},
        )
        folder.delete()
    return moved


# --- application passwords ------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_app_password(ctx: Context, user: User, label: str) -> str:
    """A random password for a mail client; shown once, stored hashed."""
    label = " ".join(label.split())[:80] or "Client de messagerie"
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    secret = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))
    with transaction.atomic():
        row = AppPassword.objects.create(
            user=user, label=label, prefix=secret[:4], password_hash=_hash(secret)
        )
        record(ctx, "mail.app_password_create", target=user, detail={"id": row.pk, "label": label})
    return secret


def revoke_app_password(ctx: Context, user: User, password_id: int) -> None:
    with transaction.atomic():
        updated = AppPassword.objects.filter(
            pk=password_id, user=user, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            raise NotFound("Mot de passe d'application introuvable.")
        record(ctx, "mail.app_password_revoke", target=user, detail={"id": password_id})


def check_app_password(login: str, secret: str) -> User | None:
    """The person for a (login, application password) pair; never the login password."""
    user = User.objects.filter(email=login.strip().lower(), is_active=True).first()
    if user is None:
        return None
    digest = _hash(secret.strip())
    for row in AppPassword.objects.filter(user=user, revoked_at__isnull=True):
        if secrets.compare_digest(row.password_hash, digest):
            AppPassword.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
            return user
    return None


def purge_delivered(older_than: timedelta = timedelta(days=30), now: datetime | None = None) -> int:
    """Forget queue rows done (sent or bounced) for longer than `older_than`, and every
    message body no waiting row needs any more; return the number of rows deleted.

    For the scheduler's purge job; safe to run from several processes at once."""
    cutoff = (now or timezone.now()) - older_than
    with transaction.atomic():
        count, _ = Outbound.objects.filter(
            state__in=[QueueState.SENT, QueueState.BOUNCED], done_at__lt=cutoff
        ).delete()
        waiting = Outbound.objects.filter(
            body=OuterRef("pk"), state__in=[QueueState.PENDING, QueueState.SENDING]
        )
        OutboundBody.objects.filter(~Exists(waiting)).only("pk").delete()
    return count
