"""A mailbox's automatic reply over the API (issue #18, docs/MESSAGING.md « Réponse
automatique »): read and set by the owner, or by a connection account of an ORG/APP
mailbox. Thin over `caducee.mail.autoreply`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Schema

from caducee.api.errors import responses
from caducee.mail import autoreply
from caducee.mail.api.common import acting_as, router


class AutoReplyOut(Schema):
    mailbox: str
    enabled: bool
    starts_on: date | None
    ends_on: date | None
    subject: str
    text: str
    active_now: bool  # enabled, and today is between the two dates


class AutoReplyIn(Schema):
    mailbox: str
    enabled: bool
    starts_on: date | None = None
    ends_on: date | None = None
    subject: str = ""  # default: « Réponse automatique : » and the subject received
    text: str = ""


def _out(address: str, found: autoreply.Settings) -> dict[str, Any]:
    return {
        "mailbox": address,
        "enabled": found.enabled,
        "starts_on": found.starts_on,
        "ends_on": found.ends_on,
        "subject": found.subject,
        "text": found.text,
        "active_now": found.active_now,
    }


@router.get(
    "/mail/autoreply",
    response=responses({200: AutoReplyOut}, 404),
    summary="Réponse automatique d'une boîte",
)
def get_autoreply(request: HttpRequest, mailbox: str) -> Any:
    ctx, box = acting_as(request, mailbox)
    return _out(mailbox.strip().lower(), autoreply.get_autoreply(ctx, box))


@router.put(
    "/mail/autoreply",
    response=responses({200: AutoReplyOut}, 400, 403, 404, 422),
    summary="Activer, modifier ou désactiver la réponse automatique d'une boîte",
)
def put_autoreply(request: HttpRequest, payload: AutoReplyIn) -> Any:
    ctx, box = acting_as(request, payload.mailbox)
    found = autoreply.set_autoreply(
        ctx,
        box,
        enabled=payload.enabled,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        subject=payload.subject,
        text=payload.text,
    )
    return _out(payload.mailbox.strip().lower(), found)
