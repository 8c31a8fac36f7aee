"""Sending French emails (plain text + HTML) after the current transaction commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def build_email(to: str, template: str, context: Mapping[str, Any]) -> EmailMultiAlternatives:
    """Render templates/emails/<template>.subject.txt, .txt and .html into one message."""
    ctx = dict(context)
    subject = render_to_string(f"emails/{template}.subject.txt", ctx).strip()
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def send_on_commit(to: str, template: str, context: Mapping[str, Any]) -> None:
    """Queue an email for when the surrounding transaction commits (never on rollback)."""
    message = build_email(to, template, context)
    transaction.on_commit(lambda: message.send(fail_silently=False))
