"""IDLE (RFC 2177), UIDPLUS (RFC 4315) and MOVE (RFC 6851) over loopback."""

from __future__ import annotations

import socket
import time

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import operations
from caducee.mail.imap.server import ImapService
from caducee.mail.models import ImapFolderState, Message
from tests.mail.conftest import user_of
from tests.mail.imap.conftest import deliver, logged_in, raw

pytestmark = pytest.mark.django_db(transaction=True)


class Raw:
    """A line-level IMAP client, for IDLE (imaplib has no IDLE before Python 3.14)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.file.readline().startswith(b"* OK")

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def until(self, wanted: bytes, seconds: float = 10) -> list[bytes]:
        lines: list[bytes] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = self.file.readline()
            if not line:
                break
            lines.append(line)
            if wanted in line:
                return lines
        raise AssertionError(f"{wanted!r} not received: {lines!r}")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def test_idle_reports_new_mail_and_changes_made_elsewhere(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    first = deliver(martine, "Premier")
    client = Raw(imap.port)  # loopback: plain LOGIN is accepted, as Dovecot does
    client.send(f"a1 LOGIN {user_of(martine).email} {app_password}")
    client.until(b"a1 OK")
    client.send("a2 SELECT INBOX")
    client.until(b"a2 OK")
    client.send("a3 IDLE")
    client.until(b"+ ")
    deliver(martine, "Nouveau")
    client.until(b"* 2 EXISTS")
    operations.mark_seen(cli_context(), martine, [first.pk], True)
    assert b"\\Seen" in client.until(b"FETCH")[-1]
    operations.trash_messages(cli_context(), martine, [first.pk])
    client.until(b"* 1 EXPUNGE")
    client.send("DONE")
    client.until(b"a3 OK")
    client.send("a4 LOGOUT")
    client.until(b"a4 OK")
    client.close()


def test_uidplus_copy_move_append_and_uid_expunge(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    for n in range(3):
        deliver(martine, f"Message {n}")
    mail = logged_in(imap, user_of(martine).email, app_password)
    typ, data = mail.create("Archives")
    assert typ == "OK"
    mail.select("INBOX")
    state = ImapFolderState.objects.get(mailbox=martine, folder="inbox")
    typ, data = mail.uid("COPY", "1:2", "Archives")
    assert typ == "OK"
    validity, source, copied = mail.response("COPYUID")[1][-1].split()
    assert source == b"1,2" and copied == b"1,2"
    typ, data = mail.uid("MOVE", "3", "Archives")
    assert typ == "OK"
    assert mail.response("COPYUID")[1][-1].split() == [validity, b"3", b"3"]
    assert mail.response("EXPUNGE")[1] == [b"3"]
    archives = Message.objects.filter(mailbox=martine, folder__startswith="f")
    assert archives.count() == 3 and Message.objects.filter(mailbox=martine).count() == 5

    typ, data = mail.append("INBOX", "(\\Seen)", None, raw("Déposé"))
    assert typ == "OK"
    uidvalidity, uid = data[0].split(b"]")[0].split()[1:3]
    assert int(uidvalidity) == state.pk and int(uid) == 4  # after the three seen so far
    assert Message.objects.get(mailbox=martine, subject="Déposé").seen

    mail.uid("STORE", "1:2", "+FLAGS.SILENT", "(\\Deleted)")
    typ, data = mail.uid("EXPUNGE", "2")  # only UID 2, though UID 1 is marked too
    assert typ == "OK" and mail.response("EXPUNGE")[1] == [b"2"]
    assert mail.uid("SEARCH", "ALL")[1] == [b"1 4"]
    assert mail.uid("SEARCH", "DELETED")[1] == [b"1"]
    mail.logout()


def test_the_sent_copy_a_client_appends_is_not_stored_twice(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    """Submission already filed the sent message; Thunderbird's copy is the same message."""
    sent = deliver(martine, "Envoyé par Thunderbird", folder="sent", seen=True)
    mail = logged_in(imap, user_of(martine).email, app_password)
    typ, data = mail.append('"Messages envoy&AOk-s"', "(\\Seen)", None, raw(sent.subject))
    assert typ == "OK" and b"APPENDUID" in data[0]
    assert Message.objects.filter(mailbox=martine, folder="sent").count() == 1
    typ, data = mail.append('"Messages envoy&AOk-s"', "(\\Seen)", None, raw("Autre"))
    assert Message.objects.filter(mailbox=martine, folder="sent").count() == 2
    mail.logout()
