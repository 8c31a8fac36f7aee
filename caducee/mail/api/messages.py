"""Messages over the API: mailboxes, listing, reading, sending, replying, forwarding, bin."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Schema, Status
from pydantic import Field

from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, compose, listing, mime, mss, operations
from caducee.mail.api.common import (
    AttachmentIn,
    acting_as,
    attachments_of,
    require_draft,
    router,
)
from caducee.mail.models import Message, Space


class MailboxOut(Schema):
    id: int
    address: str
    email: str
    type: str
    name: str


class MessageOut(Schema):
    id: int
    folder: str
    space: str
    message_id: str
    sender: str
    to: str
    cc: str
    subject: str
    received_at: datetime
    seen: bool
    flagged: bool  # « suivi » (IMAP \Flagged), issue #18
    size: int
    has_attachments: bool


class AttachmentOut(Schema):
    index: int
    filename: str
    content_type: str
    size: int


class MessageDetail(MessageOut):
    text: str
    html_sanitised: str
    attachments: list[AttachmentOut]
    # Issue #18: the MSSanté headers (caducee/mail/mss.py).
    cda_codes: list[str]  # X-MSS-CODECDA
    ins: str  # X-MSS-INS: "O", "N" or "" (absent)
    ins_value: str  # the patient's INS when the sender typed it
    closes_exchange: bool  # X-MSS-MES: FIN, the patient may not reply


class SendIn(Schema):
    mailbox: str
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    space: str = Space.PRO
    attachments: list[AttachmentIn] = Field(default_factory=list)
    draft_id: int | None = None  # a saved draft this message sends (then removed)
    ins: str = ""  # the patient's INS (X-MSS-INS: O); a CDA attached is found on its own
    closes_exchange: bool = False  # X-MSS-MES: FIN, the patient may not reply


class SendOut(Schema):
    id: int
    message_id: str
    delivered_inside: int
    queued: int


class ReplyIn(Schema):
    mailbox: str
    body: str = ""  # written above the quoted original
    reply_all: bool = False


class ForwardIn(Schema):
    mailbox: str
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    body: str = ""  # written above the forwarded original
    space: str | None = None  # default: the original's space


def _sent(result: operations.SendResult) -> Status[dict[str, object]]:
    return Status(
        201,
        {
            "id": result.sent.pk,
            "message_id": result.sent.message_id,
            "delivered_inside": result.local,
            "queued": result.queued,
        },
    )


def _out(m: Message) -> dict[str, object]:
    return {
        "id": m.pk,
        "folder": m.folder,
        "space": m.space,
        "message_id": m.message_id,
        "sender": m.sender,
        "to": m.recipients,
        "cc": m.cc,
        "subject": m.subject,
        "received_at": m.received_at,
        "seen": m.seen,
        "flagged": m.flagged,
        "size": m.size,
        "has_attachments": m.has_attachments,
    }


@router.get(
    "/mail/mailboxes", response=responses({200: list[MailboxOut]}), summary="Boîtes utilisables"
)
def mailboxes(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {
            "id": a.pk,
            "address": addresses.sender_address(a),
            "email": a.email,
            "type": a.type,
            "name": a.display_name,
        }
        for a in openable(api_user(request))
    ]


@router.get(
    "/mail/messages", response=responses({200: list[MessageOut]}, 404), summary="Lister un dossier"
)
def list_messages(
    request: HttpRequest,
    mailbox: str,
    folder: str = "inbox",
    space: str = Space.PRO,
    unread: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, object]]:
    ctx, box = acting_as(request, mailbox)
    operations.require_mailbox(ctx, box)
    rows = operations.messages_in(box, space, folder)
    if unread:
        rows = rows.filter(seen=False)
    if before_id is not None:  # keyset: the rows after that message, in the list's order
        anchor = (
            Message.objects.filter(mailbox=box, pk=before_id)
            .values_list("received_at", "id")
            .first()
        )
        if anchor is None:
            raise NotFound("Message introuvable dans cette boîte : vérifiez before_id.")
        rows = listing.older_than(rows, *anchor)
    return [_out(m) for m in rows[: max(1, min(limit, 200))]]


@router.get(
    "/mail/messages/{message_id}",
    response=responses({200: MessageDetail}, 404),
    summary="Lire un message",
)
def read(request: HttpRequest, message_id: int, mailbox: str) -> dict[str, object]:
    ctx, box = acting_as(request, mailbox)
    message, parsed = operations.read_message(ctx, box, message_id)
    shown = mss.shown(operations.raw_message(ctx, box, message_id)[1])
    return {
        **_out(message),
        "cda_codes": shown.cda_codes,
        "ins": shown.ins,
        "ins_value": shown.ins_value,
        "closes_exchange": shown.end,
        "text": parsed.text,
        "html_sanitised": mime.safe_html(parsed.html) if parsed.html else "",
        "attachments": [
            {
                "index": n,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": len(a.data),
            }
            for n, a in enumerate(parsed.attachments)
        ],
    }


@router.get(
    "/mail/messages/{message_id}/eml",
    response=responses({200: None}, 404),
    summary="Message brut (.eml)",
)
def raw(request: HttpRequest, message_id: int, mailbox: str) -> HttpResponse:
    ctx, box = acting_as(request, mailbox)
    operations.read_message(ctx, box, message_id)  # audited like a read
    _, data = operations.raw_message(ctx, box, message_id)
    return HttpResponse(data, content_type="message/rfc822")


@router.post(
    "/mail/messages",
    response=responses({201: SendOut}, 403, 404, 413, 422),
    summary="Envoyer un message",
)
def send(request: HttpRequest, payload: SendIn) -> Status[dict[str, object]]:
    ctx, box = acting_as(request, payload.mailbox)
    draft = mime.Draft(
        sender="",
        to=payload.to,
        cc=payload.cc,
        bcc=payload.bcc,
        subject=payload.subject,
        body=payload.body,
        attachments=attachments_of(payload.attachments, payload.body),
        ins=payload.ins,
        closes_exchange=payload.closes_exchange,
    )
    if payload.draft_id is not None:
        require_draft(ctx, box, payload.draft_id)
    return _sent(
        operations.send_message(ctx, box, draft, space=payload.space, draft_id=payload.draft_id)
    )


@router.post(
    "/mail/messages/{message_id}/reply",
    response=responses({201: SendOut}, 403, 404, 413, 422),
    summary="Répondre à un message",
)
def reply(request: HttpRequest, message_id: int, payload: ReplyIn) -> Status[dict[str, object]]:
    """Reply to the sender (`reply_all`: and the other recipients), the original quoted."""
    ctx, box = acting_as(request, payload.mailbox)
    message, parsed = operations.read_message(ctx, box, message_id)
    start = compose.reply_draft(parsed, addresses.sender_address(box), payload.reply_all)
    mime.check_sizes([], body=payload.body + start.body)
    draft = mime.Draft(
        sender="",
        to=mime.address_list(start.to),
        cc=mime.address_list(start.cc),
        subject=start.subject,
        body=payload.body + start.body,
        in_reply_to=start.in_reply_to,
        references=start.references,
    )
    return _sent(operations.send_message(ctx, box, draft, space=message.space))


@router.post(
    "/mail/messages/{message_id}/forward",
    response=responses({201: SendOut}, 403, 404, 413, 422),
    summary="Transférer un message",
)
def forward(request: HttpRequest, message_id: int, payload: ForwardIn) -> Status[dict[str, object]]:
    """Forward the message, with its attachments, to new recipients."""
    ctx, box = acting_as(request, payload.mailbox)
    message, parsed = operations.read_message(ctx, box, message_id)
    start = compose.forward_draft(parsed, message.pk)
    mime.check_sizes(
        [(a.filename, len(a.data)) for a in parsed.attachments], body=payload.body + start.body
    )
    draft = mime.Draft(
        sender="",
        to=payload.to,
        cc=payload.cc,
        bcc=payload.bcc,
        subject=start.subject,
        body=payload.body + start.body,
        attachments=list(parsed.attachments),
    )
    space = payload.space or message.space
    return _sent(operations.send_message(ctx, box, draft, space=space))


@router.delete(
    "/mail/messages/{message_id}",
    response=responses({204: None}, 403, 404, 422),
    summary="Mettre à la corbeille",
)
def trash(request: HttpRequest, message_id: int, mailbox: str) -> Status[None]:
    ctx, box = acting_as(request, mailbox)
    operations.trash_messages(ctx, box, [message_id])
    return Status(204, None)
