"""IMAP fixtures: the service on a free loopback port, Martine with an application password,
and messages in her mailbox."""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import operations
from caducee.mail.imap.server import ImapService
from caducee.mail.models import Message
from tests.mail.conftest import free_port, user_of


def raw(subject: str, sender: str = "dr.expediteur@medimail.mssante.fr", body: str = "") -> bytes:
    return (
        f"From: Dr Expéditeur <{sender}>\r\n"
        "To: martine.dubois@ch-a.mssante.fr\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@medimail.mssante.fr>\r\n"
        "Date: Mon, 07 Dec 2026 09:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body or 'Bonjour, voici le compte rendu.'}\r\n"
    ).encode()


def deliver(mailbox: Account, subject: str, **options: Any) -> Message:
    return operations.store_message(mailbox, raw(subject), **options)


@pytest.fixture
def imap(settings: Any) -> Iterator[ImapService]:
    settings.IMAP_IDLE_POLL_SECONDS = 1
    service = ImapService("127.0.0.1", free_port())
    service.start()
    yield service
    service.stop()


@pytest.fixture
def app_password(martine: Account) -> str:
    return operations.create_app_password(cli_context(), user_of(martine), "Thunderbird")


def client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def joined(data: list[Any]) -> bytes:
    """The bytes of an imaplib answer: lines and (line, literal) pairs, end to end."""
    out = b""
    for item in data:
        if isinstance(item, tuple):
            out += item[0] + item[1]
        elif isinstance(item, bytes):
            out += item
    return out


def connect(service: ImapService) -> imaplib.IMAP4:
    return imaplib.IMAP4("127.0.0.1", service.port, timeout=10)


def logged_in(service: ImapService, login: str, password: str) -> imaplib.IMAP4:
    client = connect(service)
    client.starttls(ssl_context=client_tls())
    client.login(login, password)
    return client
