"""Storing messages: the file first (fsync'd), then its row; received messages delivered to
inboxes (SMTP service, and local delivery of the platform's own sends)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caducee.accounts import activity
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.core.bulk import insert_rows
from caducee.mail import addresses, mime, store
from caducee.mail.models import Message, Space, SystemFolder
from caducee.people.models import User


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
    sync_directory: bool = True,
) -> Message:
    """Write the file durably and return the (unsaved) row describing it. With
    `sync_directory=False` the caller fsyncs its folder (`store.sync_directories`) before
    committing the row: the SMTP group commit, once per batch."""
    info = parsed or mime.parse(data)
    if space is None:
        correspondents = (
            [info.sender] if folder == SystemFolder.INBOX else mime.address_list(info.to)
        )
        space = space_for(correspondents)
    path = store.write(str(mailbox_id), data, sync_directory=sync_directory)
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


def commit_inbound(rows: list[Message], notify: set[int]) -> list[Message]:
    """Save prepared inbox rows in one transaction (group commit for the SMTP service);
    `notify` holds the ORG mailboxes among them. A row whose Message-ID its mailbox already
    received (a retry, mail/dedupe.py) is not saved and its file is removed. Returns the
    rows saved; they get no primary key back."""
    from caducee.mail import dedupe

    with transaction.atomic():
        first = dedupe.first_copies([(r.mailbox_id, r.message_id) for r in rows])
        saved = [row for row, keep in zip(rows, first, strict=True) if keep]
        insert_rows(Message, _ROW_COLUMNS, [[getattr(r, c) for c in _ROW_COLUMNS] for r in saved])
        receiving = {r.mailbox_id for r in saved}
        activity.note(activity.Activity.RECEIVED, receiving)
        if notify & receiving:
            for mailbox in Account.objects.filter(pk__in=notify & receiving, type="ORG"):
                _notify_receipt(mailbox)
    for row, keep in zip(rows, first, strict=True):
        if not keep:
            store.delete(row.path)
    return saved


def deliver_inbound(
    data: bytes, mailboxes: list[Account], *, envelope_sender: str = ""
) -> list[Message]:
    """Put a received message in each mailbox's inbox; committed with the caller's
    transaction. Then the automatic reply of each mailbox that has one on answers the
    envelope sender ("" for a bounce or an automatic reply: never answered)."""
    from caducee.mail import autoreply

    parsed = mime.parse(data)
    stored: list[Message] = []
    with transaction.atomic():
        for mailbox in mailboxes:
            stored.append(store_message(mailbox, data, parsed=parsed))
            if mailbox.type == "ORG":
                _notify_receipt(mailbox)
        activity.note(activity.Activity.RECEIVED, (m.pk for m in mailboxes))
        if envelope_sender:
            answering = autoreply.active_mailboxes()
            for mailbox in mailboxes:
                if mailbox.pk in answering:
                    transaction.on_commit(
                        partial(autoreply.respond_quietly, mailbox.pk, envelope_sender, data)
                    )
    return stored


def _notify_receipt(mailbox: Account) -> None:
    """Tell the connection accounts that asked for it (not a deactivated or deleted one);
    no content of the message."""
    from caducee.core.email import send_on_commit
    from caducee.identity.links import base_url

    links = (
        ConnectionLink.objects.filter(mailbox=mailbox, notify_on_receipt=True)
        .exclude(account__state__in=(AccountState.DEACTIVATED, AccountState.DELETED))
        .select_related("account")
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
