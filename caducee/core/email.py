"""Sending French emails (plain text + HTML) after the current transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger("caducee.email")


def build_email(to: str, template: str, context: Mapping[str, Any]) -> EmailMultiAlternatives:
    """Render templates/emails/<template>.subject.txt, .txt and .html into one message."""
    ctx = dict(context)
    subject = render_to_string(f"emails/{template}.subject.txt", ctx).strip()
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def send_on_commit(
    to: str, template: str, context: Mapping[str, Any], *, best_effort: bool = False
) -> None:
    """Queue an email for when the surrounding transaction commits (never on rollback).

    With `best_effort`, a relay failure is logged and swallowed: for notices whose loss
    must never undo or fail the action that asked for them (the action has committed).
    """
    message = build_email(to, template, context)
    if not best_effort:
        transaction.on_commit(lambda: message.send(fail_silently=False))
        return

    def send() -> None:
        try:
            message.send(fail_silently=False)
        except Exception:  # the action committed; the lost notice goes to the log
            logger.exception("email %r to %s could not be sent", template, to)

    transaction.on_commit(send)
