"""The loopback SMTP sink receives what Django sends, through smtplib."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from tests.smtp_sink import SmtpSink


def test_it_receives_a_message_sent_by_django(smtp_sink: SmtpSink) -> None:
    message = EmailMultiAlternatives("Sujet é", "Corps é", "a@example.org", ["b@example.org"])
    message.attach_alternative("<p>Corps é</p>", "text/html")
    message.send()
    received = smtp_sink.wait_for("b@example.org")
    assert received.subject == "Sujet é"
    assert received.text.strip() == "Corps é"
    assert received.html.strip() == "<p>Corps é</p>"


def test_it_is_the_smtp_backend(smtp_sink: SmtpSink) -> None:
    assert isinstance(get_connection(), SmtpBackend)
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.sendmail("x@example.org", ["y@example.org"], b"Subject: brut\r\n\r\nbonjour\r\n")
    assert smtp_sink.wait_for("y@example.org").subject == "brut"
