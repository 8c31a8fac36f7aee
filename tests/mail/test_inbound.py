"""A message received in an ORG mailbox emails the connection accounts that asked for the
« notification de réception », whatever the path (SMTP: tests/mail/test_smtp_loopback.py;
here the platform's own local delivery, as a webmail send does)."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.emails.models import OutgoingEmail
from caducee.mail import operations
from caducee.mail.models import Message
from caducee.structures.models import Structure
from tests.mail.conftest import person

pytestmark = pytest.mark.django_db

RAW = b"From: dr@medimail.mssante.fr\r\nSubject: Compte rendu\r\n\r\nSecret\r\n"


def test_local_delivery_to_an_org_mailbox_notifies_who_asked(
    structure_a: Structure, martine: Account, secretariat: Account
) -> None:
    quiet = person(structure_a, "quiet.colleague")
    ConnectionLink.objects.create(mailbox=secretariat, account=quiet)  # no notification
    operations.deliver_inbound(RAW, [secretariat])
    assert Message.objects.filter(mailbox=secretariat, folder="inbox").count() == 1
    [notice] = OutgoingEmail.objects.filter(template="mail_received")
    assert notice.recipient == martine.email
    assert "secretariat@ch-a.mssante.fr" in notice.subject
    assert "Compte rendu" not in notice.text and "Secret" not in notice.text


def test_a_deactivated_connection_account_is_not_notified(
    martine: Account, secretariat: Account
) -> None:
    Account.objects.filter(pk=martine.pk).update(state=AccountState.DEACTIVATED)
    operations.deliver_inbound(RAW, [secretariat])
    assert not OutgoingEmail.objects.filter(template="mail_received").exists()


def test_a_personal_mailbox_sends_no_notice(martine: Account, secretariat: Account) -> None:
    operations.deliver_inbound(RAW, [martine])
    assert not OutgoingEmail.objects.filter(template="mail_received").exists()
