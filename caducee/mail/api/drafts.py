"""Drafts over the API: save a message to finish later (the webmail's « Enregistrer le
brouillon »), replace a saved one; listed with GET /mail/messages?folder=drafts and sent
with POST /mail/messages and its `draft_id`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from caducee.api.errors import responses
from caducee.mail import mime, operations
from caducee.mail.api.common import AttachmentIn, acting_as, attachments_of, require_draft, router
from caducee.mail.models import Space


class DraftIn(Schema):
    mailbox: str
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    space: str = Space.PRO
    attachments: list[AttachmentIn] = Field(default_factory=list)


class DraftOut(Schema):
    id: int  # the draft's message id (a new one each time it is saved)
    folder: str
    space: str


def _save(
    request: HttpRequest, payload: DraftIn, draft_id: int | None
) -> Status[dict[str, object]]:
    ctx, box = acting_as(request, payload.mailbox)
    if draft_id is not None:
        require_draft(ctx, box, draft_id)
    draft = mime.Draft(
        sender="",
        to=payload.to,
        cc=payload.cc,
        bcc=payload.bcc,
        subject=payload.subject.strip(),
        body=payload.body,
        attachments=attachments_of(payload.attachments, payload.body),
    )
    saved = operations.save_draft(ctx, box, draft, space=payload.space, draft_id=draft_id)
    return Status(201, {"id": saved.pk, "folder": saved.folder, "space": saved.space})


@router.post(
    "/mail/drafts",
    response=responses({201: DraftOut}, 403, 404, 413, 422),
    summary="Enregistrer un brouillon",
)
def save_draft(request: HttpRequest, payload: DraftIn) -> Status[dict[str, object]]:
    return _save(request, payload, None)


@router.put(
    "/mail/drafts/{draft_id}",
    response=responses({201: DraftOut}, 403, 404, 413, 422),
    summary="Remplacer un brouillon",
)
def replace_draft(
    request: HttpRequest, draft_id: int, payload: DraftIn
) -> Status[dict[str, object]]:
    """The saved draft is replaced by a new one (a new id), as in the webmail."""
    return _save(request, payload, draft_id)
