"""What every mail route shares: the router and the mailbox a request acts as."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.accounts.models import Account
from caducee.api.auth import api_context
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, mime, operations
from caducee.mail.models import SystemFolder

router = Router(tags=["messagerie"])


def acting_as(request: HttpRequest, address: str) -> tuple[Context, Account]:
    """The mailbox named by `address` among those the token's person may use, else 404;
    and the context acting as it (the audit of a shared mailbox names the person)."""
    base = api_context(request)
    assert base.user is not None
    mailbox = addresses.may_send_as(openable(base.user), address.strip().lower())
    if mailbox is None:
        raise NotFound("Boîte introuvable.")
    return replace(base, acting_as=mailbox), mailbox


class AttachmentIn(Schema):
    filename: str
    content_type: str = "application/octet-stream"
    content_base64: str


def attachments_of(items: list[AttachmentIn], body: str) -> list[mime.Attachment]:
    """The decoded attachments of a message written over the API. Sizes are checked on the
    base64 text, before anything is decoded (CADUCEE_SMTP_MAX_BYTES)."""
    mime.check_sizes(
        [(item.filename, len(item.content_base64) * 3 // 4) for item in items], body=body
    )
    attachments: list[mime.Attachment] = []
    for item in items:
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(f"Pièce jointe « {item.filename} » : contenu base64 invalide.") from None
        attachments.append(mime.Attachment(item.filename, item.content_type, data))
    return attachments


def require_draft(ctx: Context, mailbox: Account, draft_id: int) -> None:
    """`draft_id` is a draft of this mailbox, else 404 (the operations would silently keep
    the other message and store a new one)."""
    if operations.get_message(ctx, mailbox, draft_id).folder != SystemFolder.DRAFTS:
        raise NotFound("Brouillon introuvable.")
