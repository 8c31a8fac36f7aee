"""REST API for business software (APP mailboxes, and any mailbox the token's person uses).

The token belongs to a physical person; `mailbox` names the address acted as, which must
be the person's own mailbox or an ORG/APP mailbox they are a connection account of.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from caducee.accounts.models import Account
from caducee.api.auth import api_context
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, mime, operations
from caducee.mail.models import Message, Space
from caducee.people.models import User

router = Router(tags=["messagerie"])


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


class AttachmentIn(Schema):
    filename: str
    content_type: str = "application/octet-stream"
    content_base64: str


class SendIn(Schema):
    mailbox: str
    to: list[str]
    cc: list[str] = []
    bcc: list[str] = []
    subject: str = ""
    body: str = ""
    space: str = Space.PRO
    attachments: list[AttachmentIn] = []


class SendOut(Schema):
    id: int
    message_id: str
    delivered_inside: int
    queued: int


def _person(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _mailbox(request: HttpRequest, address: str) -> tuple[Context, Account]:
    user = _person(request)
    mailbox = addresses.may_send_as(openable(user), address.strip().lower())
    if mailbox is None:
        raise NotFound("Boîte introuvable.")
    base = api_context(request)
    return Context(user=user, acting_as=mailbox, ip=base.ip, channel="api"), mailbox


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
        "size": m.size,
        "has_attachments": m.has_attachments,
    }


@router.get("/mail/mailboxes", response=list[MailboxOut], summary="Boîtes utilisables")
def mailboxes(request: HttpRequest) -> list[dict[str, object]]:
    return [
        {
            "id": a.pk,
            "address": addresses.sender_address(a),
            "email": a.email,
            "type": a.type,
            "name": a.display_name,
        }
        for a in openable(_person(request))
    ]


@router.get("/mail/messages", response=list[MessageOut], summary="Lister un dossier")
def list_messages(
    request: HttpRequest,
    mailbox: str,
    folder: str = "inbox",
    space: str = Space.PRO,
    unread: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, object]]:
    ctx, box = _mailbox(request, mailbox)
    operations.require_mailbox(ctx, box)
    rows = operations.messages_in(box, space, folder)
    if unread:
        rows = rows.filter(seen=False)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return [_out(m) for m in rows.order_by("-id")[: max(1, min(limit, 200))]]


@router.get("/mail/messages/{message_id}", response=MessageDetail, summary="Lire un message")
def read(request: HttpRequest, message_id: int, mailbox: str) -> dict[str, object]:
    ctx, box = _mailbox(request, mailbox)
    message, parsed = operations.read_message(ctx, box, message_id)
    return {
        **_out(message),
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


@router.get("/mail/messages/{message_id}/eml", summary="Message brut (.eml)")
def raw(request: HttpRequest, message_id: int, mailbox: str) -> HttpResponse:
    ctx, box = _mailbox(request, mailbox)
    operations.read_message(ctx, box, message_id)  # audited like a read
    _, data = operations.raw_message(ctx, box, message_id)
    return HttpResponse(data, content_type="message/rfc822")


@router.post("/mail/messages", response={201: SendOut}, summary="Envoyer un message")
def send(request: HttpRequest, payload: SendIn) -> Status[dict[str, object]]:
    ctx, box = _mailbox(request, payload.mailbox)
    # Sizes checked on the base64 text, before anything is decoded (CADUCEE_SMTP_MAX_BYTES).
    mime.check_sizes(
        [(item.filename, len(item.content_base64) * 3 // 4) for item in payload.attachments],
        body=payload.body,
    )
    attachments: list[mime.Attachment] = []
    for item in payload.attachments:
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(f"Pièce jointe « {item.filename} » : contenu base64 invalide.") from None
        attachments.append(mime.Attachment(item.filename, item.content_type, data))
    draft = mime.Draft(
        sender="",
        to=payload.to,
        cc=payload.cc,
        bcc=payload.bcc,
        subject=payload.subject,
        body=payload.body,
        attachments=attachments,
    )
    result = operations.send_message(ctx, box, draft, space=payload.space)
    return Status(
        201,
        {
            "id": result.sent.pk,
            "message_id": result.sent.message_id,
            "delivered_inside": result.local,
            "queued": result.queued,
        },
    )


@router.delete("/mail/messages/{message_id}", response={204: None}, summary="Mettre à la corbeille")
def trash(request: HttpRequest, message_id: int, mailbox: str) -> Status[None]:
    ctx, box = _mailbox(request, mailbox)
    try:
        operations.trash_messages(ctx, box, [message_id])
    except Invalid as exc:
        raise HttpError(422, exc.message) from None
    return Status(204, None)
