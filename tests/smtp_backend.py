"""Django's SMTP backend, keeping a copy of what it sent in `django.core.mail.outbox`.

Messages really go over SMTP to the loopback sink (tests/smtp_sink.py); the copy lets
tests that use pytest-django's `mailoutbox` fixture keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend


class SinkBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        if hasattr(mail, "outbox"):
            mail.outbox.extend(email_messages)
        return sent
