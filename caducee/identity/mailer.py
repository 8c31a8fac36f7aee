"""Sending an identity email off the request thread, so answers take the same time
whether or not an email goes out (the forgotten-password page must not reveal, by its
speed, that an address exists)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from caducee.core.email import build_email

logger = logging.getLogger("caducee.identity")


def send_in_background_on_commit(to: str, template: str, context: Mapping[str, Any]) -> None:
    """Render now; after the transaction commits, hand the message to the relay in a thread."""
    message = build_email(to, template, context)

    def start() -> None:
        threading.Thread(
            target=_send, args=(message,), name="caducee-identity-mail", daemon=True
        ).start()

    transaction.on_commit(start)


def _send(message: EmailMultiAlternatives) -> None:
    try:
        message.send(fail_silently=False)
    except Exception:  # the person already got their answer; the failure goes to the log
        logger.exception("identity email to %s could not be sent", ", ".join(message.to))
