"""A Message-ID already stored is not stored (or sent) again: SMTP retries after a cut."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.mail import operations, smtp_server
from caducee.mail.models import Message, Outbound
from tests.helpers import ctx_for
from tests.mail.conftest import user_of


def incoming(message_id: str = "<cr-42@clinique.example.mssante.fr>") -> bytes:
    head = f"Message-ID: {message_id}\r\n" if message_id else ""
    return (
        f"From: dr.x@clinique.example.mssante.fr\r\nTo: martine.dubois@ch-a.mssante.fr\r\n"
        f"{head}Subject: Compte rendu\r\n\r\nTexte\r\n"
    ).encode()


def files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.mark.django_db(transaction=True)
def test_a_retried_message_is_answered_250_and_kept_once(
    martine: Account, paul: Account, mail_home: Path
) -> None:
    first = smtp_server.inbound_data(incoming(), [(martine.pk, "PER")])
    again = smtp_server.inbound_data(incoming(), [(martine.pk, "PER")])
    assert first.startswith("250") and again.startswith("250")
    assert Message.objects.filter(mailbox=martine).count() == 1
    assert files(mail_home / "mail") == 1
    # The retry names one more recipient: only the one who has not received it gets it.
    smtp_server.inbound_data(incoming(), [(martine.pk, "PER"), (paul.pk, "PER")])
    assert Message.objects.filter(mailbox=martine).count() == 1
    assert Message.objects.filter(mailbox=paul).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_first_copy_counts_wherever_it_was_filed(martine: Account) -> None:
    smtp_server.inbound_data(incoming(), [(martine.pk, "PER")])
    Message.objects.filter(mailbox=martine).update(folder="trash")
    smtp_server.inbound_data(incoming(), [(martine.pk, "PER")])
    assert Message.objects.filter(mailbox=martine).count() == 1


@pytest.mark.django_db(transaction=True)
def test_messages_without_id_or_outside_the_window_are_all_kept(
    martine: Account, settings: Any
) -> None:
    for _ in range(2):
        smtp_server.inbound_data(incoming(message_id=""), [(martine.pk, "PER")])
    assert Message.objects.filter(mailbox=martine).count() == 2

    smtp_server.inbound_data(incoming("<old@x.mssante.fr>"), [(martine.pk, "PER")])
    old = settings.MAIL_DEDUPE_HOURS + 1
    Message.objects.filter(message_id="<old@x.mssante.fr>").update(
        received_at=Message.objects.get(message_id="<old@x.mssante.fr>").received_at
        - timedelta(hours=old)
    )
    smtp_server.inbound_data(incoming("<old@x.mssante.fr>"), [(martine.pk, "PER")])
    assert Message.objects.filter(message_id="<old@x.mssante.fr>").count() == 2

    settings.MAIL_DEDUPE_HOURS = 0
    for _ in range(2):
        smtp_server.inbound_data(incoming("<off@x.mssante.fr>"), [(martine.pk, "PER")])
    assert Message.objects.filter(message_id="<off@x.mssante.fr>").count() == 2


@pytest.mark.django_db
def test_a_resubmitted_message_is_neither_stored_nor_sent_twice(
    martine: Account, paul: Account, settings: Any
) -> None:
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:2"  # a known peer (never contacted)
    data = (
        f"From: {martine.email}\r\nTo: paul.martin@ch-a.mssante.fr, dr.y@autre.mssante.fr\r\n"
        "Message-ID: <envoi-7@ch-a.mssante.fr>\r\nSubject: Avis\r\n\r\nTexte\r\n"
    ).encode()
    rcpts = [paul.email, "dr.y@autre.mssante.fr"]
    ctx = ctx_for(user_of(martine), martine, channel="smtp")
    first = operations.submit_raw(ctx, martine, rcpts, data)
    again = operations.submit_raw(ctx, martine, rcpts, data)
    assert again.sent.pk == first.sent.pk
    assert (first.local, first.queued) == (1, 1) and (again.local, again.queued) == (0, 0)
    assert Message.objects.filter(mailbox=martine, folder="sent").count() == 1
    assert Message.objects.filter(mailbox=paul).count() == 1
    assert Outbound.objects.count() == 1
    assert AuditEvent.objects.filter(action="mail.send").count() == 1
    # The copy in « Envoyés » does not stop a message one sends to oneself.
    to_self = data.replace(b"<envoi-7@", b"<soi-1@")
    operations.submit_raw(ctx, martine, [martine.email], to_self)
    assert (
        Message.objects.filter(mailbox=martine, message_id="<soi-1@ch-a.mssante.fr>").count() == 2
    )
