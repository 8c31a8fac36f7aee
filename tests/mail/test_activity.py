"""The mail hooks of the activity dates (accounts/activity.py): a message sent (webmail,
SMTP submission), delivered (local delivery, inbound SMTP) and read."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.errors import Invalid
from caducee.mail import mime, operations, smtp_server
from caducee.mail.models import Message
from tests import helpers
from tests.mail.conftest import user_of

RAW = b"From: a@b.mssante.fr\r\nSubject: Bonjour\r\nMessage-ID: <m1@b>\r\n\r\nx\r\n"


def _dates(account: Account) -> dict[str, bool]:
    account.refresh_from_db()
    return {
        "login": account.last_login_at is not None,
        "sent": account.last_sent_at is not None,
        "received": account.last_received_at is not None,
        "read": account.last_read_at is not None,
    }


NONE = {"login": False, "sent": False, "received": False, "read": False}


def test_a_webmail_send_stamps_the_sender_and_the_local_recipient(
    martine: Account, paul: Account, django_capture_on_commit_callbacks: Any
) -> None:
    draft = mime.Draft(sender="", to=["paul.martin@ch-a.mssante.fr"], subject="S", body="B")
    with django_capture_on_commit_callbacks(execute=True):
        operations.send_message(
            helpers.ctx_for(user_of(martine), martine), martine, draft, space="pro"
        )
    assert _dates(martine) == NONE | {"sent": True}
    assert _dates(paul) == NONE | {"received": True}


def test_an_smtp_submission_stamps_the_sending_mailbox(
    martine: Account, paul: Account, django_capture_on_commit_callbacks: Any
) -> None:
    data = (
        b"From: martine.dubois@ch-a.mssante.fr\r\nTo: paul.martin@ch-a.mssante.fr\r\n"
        b"Subject: S\r\nMessage-ID: <sub1@x>\r\n\r\nx\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = smtp_server.submission_data(
            user_of(martine), martine, ["paul.martin@ch-a.mssante.fr"], data
        )
    assert answer.startswith("250")
    assert _dates(martine)["sent"] and _dates(paul)["received"]


def test_a_refused_send_stamps_nothing(
    martine: Account, django_capture_on_commit_callbacks: Any
) -> None:
    draft = mime.Draft(sender="", to=["someone@gmail.com"], subject="S", body="B")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Invalid):
        operations.send_message(
            helpers.ctx_for(user_of(martine), martine), martine, draft, space="pro"
        )
    assert _dates(martine) == NONE


@pytest.mark.django_db(transaction=True)
def test_inbound_smtp_stamps_each_recipient_once_a_day(martine: Account, paul: Account) -> None:
    boxes = [(martine.pk, "PER"), (paul.pk, "PER")]
    assert smtp_server.inbound_data(RAW, boxes).startswith("250")
    assert _dates(martine)["received"] and _dates(paul)["received"]
    first = Account.objects.get(pk=martine.pk).last_received_at
    second = RAW.replace(b"<m1@b>", b"<m2@b>")
    assert smtp_server.inbound_data(second, boxes).startswith("250")
    assert Message.objects.filter(mailbox=martine).count() == 2
    assert Account.objects.get(pk=martine.pk).last_received_at == first  # not rewritten


def test_reading_a_message_stamps_the_mailbox(
    martine: Account, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = operations.deliver_inbound(RAW, [martine])
    Account.objects.filter(pk=martine.pk).update(last_received_at=None)
    ctx = helpers.ctx_for(user_of(martine), martine)
    with django_capture_on_commit_callbacks(execute=True):
        operations.read_message(ctx, martine, row.pk)
    assert _dates(martine) == NONE | {"read": True}


def test_marking_read_stamps_the_mailbox_marking_unread_does_not(
    martine: Account, secretariat: Account, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = operations.deliver_inbound(RAW, [secretariat])
    ctx = helpers.ctx_for(user_of(martine), secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        operations.mark_seen(ctx, secretariat, [row.pk], False)
    assert not _dates(secretariat)["read"]
    with django_capture_on_commit_callbacks(execute=True):
        operations.mark_seen(ctx, secretariat, [row.pk], True)
    assert _dates(secretariat)["read"]  # the shared mailbox, not the person's own
    assert not _dates(martine)["read"]
