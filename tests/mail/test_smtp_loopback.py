"""The SMTP services over loopback with smtplib as the client."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.mail import delivery, operations, smtp_server, store
from caducee.mail.models import Message, Outbound
from tests.mail.conftest import Pki, free_port, user_of
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db(transaction=True)

RAW = (
    "From: Dr Expéditeur <dr@medimail.mssante.fr>\r\n"
    "To: martine.dubois@ch-a.mssante.fr\r\n"
    "Subject: Compte rendu\r\n"
    "Message-ID: <cr-1@medimail.mssante.fr>\r\n\r\n"
    "Bonjour,\r\nvoici le compte rendu.\r\n"
).encode()


def _client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def inbound(settings: Any, pki: Pki) -> Iterator[int]:
    """The inbound MTA, trusting the test CA; `pki.client()` is a whitelisted operator."""
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def submission(settings: Any) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.submission_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def test_it_receives_over_starttls_and_stores_before_250(
    inbound: int, pki: Pki, martine: Account
) -> None:
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=pki.client())
        client.ehlo()
        client.sendmail("dr@medimail.mssante.fr", ["martine.dubois@ch-a.mssante.fr"], RAW)
    row = Message.objects.get(mailbox=martine)
    assert row.subject == "Compte rendu"
    stored = store.read(row.path)
    assert stored.endswith(RAW)
    assert stored.startswith(b"Received: from ") and b"with ESMTPS for <martine" in stored


def test_it_is_not_an_open_relay(inbound: int, pki: Pki, martine: Account) -> None:
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        client.mail("dr@medimail.mssante.fr")
        code, text = client.rcpt("victim@gmail.com")
        assert code == 550 and b"5.7.1" in text
        code, text = client.rcpt("nobody@ch-a.mssante.fr")
        assert code == 550 and b"5.1.1" in text
        code, _ = client.rcpt(martine.email)  # account email: inside only
        assert code == 550
    assert Message.objects.count() == 0


def test_it_enforces_the_size_limit(settings: Any, pki: Pki, martine: Account) -> None:
    settings.SMTP_MAX_BYTES = 2000
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.starttls(context=pki.client())
            with pytest.raises(smtplib.SMTPResponseException) as info:
                client.sendmail(
                    "dr@medimail.mssante.fr",
                    ["martine.dubois@ch-a.mssante.fr"],
                    RAW + b"x" * 5000,
                )
            assert info.value.smtp_code == 552
    finally:
        controller.stop()
    assert Message.objects.count() == 0


def test_submission_requires_starttls_before_auth(submission: int, martine: Account) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPException):
            client.login(martine.email, secret)
        code, _ = client.mail(martine.email)
        assert code == 530


def test_submission_refuses_the_login_password(submission: int, martine: Account) -> None:
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(martine.email, "correct horse battery staple 42")


def test_submission_sends_inside_and_queues_outside(
    submission: int, martine: Account, paul: Account, settings: Any
) -> None:
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:9"
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    body = (
        b"From: martine.dubois@ch-a.mssante.fr\r\nTo: paul.martin@ch-a.mssante.fr\r\n"
        b"Bcc: z@autre.mssante.fr\r\nSubject: Avis\r\n\r\nTexte\r\n"
    )
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.login(martine.email, secret)
        # another person's address is refused as sender
        code, _ = client.mail("paul.martin@ch-a.mssante.fr")
        assert code == 553
        client.rset()
        refused = client.sendmail(
            "martine.dubois@ch-a.mssante.fr",
            ["paul.martin@ch-a.mssante.fr", "z@autre.mssante.fr"],
            body,
        )
        assert refused == {}
        code, _ = client.mail("martine.dubois@ch-a.mssante.fr")
        code, text = client.rcpt("someone@gmail.com")
        assert code == 550 and b"5.7.1" in text
    received = Message.objects.get(mailbox=paul, folder="inbox")
    assert b"Bcc" not in store.read(received.path)
    sent = Message.objects.get(mailbox=martine, folder="sent")
    assert sent.sender_person == user_of(martine)
    queued = Outbound.objects.get()
    assert queued.recipient == "z@autre.mssante.fr" and queued.path == ""
    assert b"Bcc" not in delivery.message_bytes(queued)  # the bytes are in the database


def test_an_org_mailbox_receiving_by_smtp_notifies_its_connection_accounts(
    inbound: int, pki: Pki, martine: Account, secretariat: Account, smtp_sink: Any
) -> None:
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.sendmail("dr@medimail.mssante.fr", ["secretariat@ch-a.mssante.fr"], RAW)
    assert Message.objects.filter(mailbox=secretariat, folder="inbox").count() == 1
    notice = smtp_sink.wait_for(martine.email)
    assert "secretariat@ch-a.mssante.fr" in notice.subject
    assert "Compte rendu" not in notice.text


def test_a_failing_org_notification_never_turns_stored_mail_into_a_4xx(
    inbound: int,
    pki: Pki,
    settings: Any,
    martine: Account,
    secretariat: Account,
    smtp_sink: Any,
) -> None:
    """The relay is down: the message is stored and the sender gets 250, not 451; the
    notice waits in the outbox and leaves, once, when the relay is back."""
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    settings.TASK_RETRY_SECONDS = 1
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        refused = client.sendmail("dr@medimail.mssante.fr", ["secretariat@ch-a.mssante.fr"], RAW)
    assert refused == {}
    assert Message.objects.filter(mailbox=secretariat, folder="inbox").count() == 1
    run_ready_tasks()  # the notice's first attempt meets the closed port
    notice = OutgoingEmail.objects.get(recipient=martine.email)
    assert notice.status == EmailStatus.PENDING and "ConnectionRefused" in notice.last_error
    settings.EMAIL_PORT = smtp_sink.port
    smtp_sink.wait_for(martine.email)
    assert len(smtp_sink.to(martine.email)) == 1


def test_submission_refuses_a_spoofed_from_header(submission: int, martine: Account) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    spoofed = (
        b"From: Directeur <directeur@ch-a.mssante.fr>\r\nTo: martine.dubois@ch-a.mssante.fr\r\n"
        b"Subject: x\r\n\r\ny\r\n"
    )
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.login(martine.email, secret)
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail(
                "martine.dubois@ch-a.mssante.fr", ["martine.dubois@ch-a.mssante.fr"], spoofed
            )
        reply = info.value.smtp_error
        assert info.value.smtp_code == 550 and b"L'en-tete From (Directeur" in reply
        assert reply.isascii()
    assert Message.objects.count() == 0


def test_submission_refuses_a_second_from_header(submission: int, martine: Account) -> None:
    """Review L4's probe: clients that show the last From: would display the spoofed one."""
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    probe = (
        b"From: martine.dubois@perso.example.org\r\n"
        b"From: Direction <direction@ch-a.mssante.fr>\r\n"
        b"Sender: direction@ch-a.mssante.fr\r\nTo: paul.martin@ch-a.mssante.fr\r\n"
        b"Subject: x\r\n\r\nx"
    )
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.login(martine.email, secret)
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail(martine.email, ["martine.dubois@ch-a.mssante.fr"], probe)
    assert info.value.smtp_code == 550 and b"5.7.1" in info.value.smtp_error
    assert b"plusieurs en-tetes From" in info.value.smtp_error
    assert Message.objects.count() == 0


@pytest.mark.parametrize("fake_end", [b"\n.\n", b"\r\n.\n", b"\n.\r\n"])
def test_a_bare_lf_end_of_data_does_not_split_a_message(
    inbound: int, pki: Pki, martine: Account, paul: Account, fake_end: bytes
) -> None:
    """SMTP smuggling (CVE-2023-51764 family, fixed in aiosmtpd 1.4.5): only CRLF.CRLF
    ends the data, so a second message hidden behind a bare-LF dot is not accepted."""
    smuggled = (
        b"From: dr@medimail.mssante.fr\r\nTo: martine.dubois@ch-a.mssante.fr\r\n"
        b"Subject: Visible\r\n\r\nPremier message"
        + fake_end
        + b"MAIL FROM:<dr@medimail.mssante.fr>\r\nRCPT TO:<paul.martin@ch-a.mssante.fr>\r\n"
        b"DATA\r\nFrom: dr@medimail.mssante.fr\r\nTo: paul.martin@ch-a.mssante.fr\r\n"
        b"Subject: Cache\r\n\r\nSecond message\r\n.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        assert client.mail("dr@medimail.mssante.fr")[0] == 250
        assert client.rcpt("martine.dubois@ch-a.mssante.fr")[0] == 250
        client.putcmd("data")
        assert client.getreply()[0] == 354
        client.send(smuggled)
        code, _ = client.getreply()
        assert code == 250
        assert client.noop()[0] == 250  # no reply of a hidden command is waiting
    assert Message.objects.filter(mailbox=paul).count() == 0
    [row] = Message.objects.filter(mailbox=martine)
    assert row.subject == "Visible"
    assert b"Subject: Cache" in store.read(row.path)


# --- DATA read in blocks (smtp/data.py): the protocol's edges over a real connection ---


def _open_data(client: smtplib.SMTP, pki: Pki, recipient: str) -> None:
    client.starttls(context=pki.client())
    client.ehlo()
    assert client.mail("dr@medimail.mssante.fr")[0] == 250
    assert client.rcpt(recipient)[0] == 250
    client.putcmd("data")
    assert client.getreply()[0] == 354
    assert client.sock is not None
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_an_end_of_data_split_across_writes_is_found(
    inbound: int, pki: Pki, martine: Account, cut: int
) -> None:
    body = RAW + b"..ligne pointee\r\n"
    stream = body + b".\r\n"
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        _open_data(client, pki, "martine.dubois@ch-a.mssante.fr")
        end = len(stream) - cut
        client.send(stream[:end])
        client.send(stream[end:])
        assert client.getreply()[0] == 250
        assert client.noop()[0] == 250
    stored = store.read(Message.objects.get(mailbox=martine).path)
    assert stored.endswith(RAW + b".ligne pointee\r\n")


def test_dot_stuffed_lines_are_stored_as_written(inbound: int, pki: Pki, martine: Account) -> None:
    """smtplib doubles each leading dot; the server removes one: the stored bytes are
    the message as written."""
    dotted = RAW + b".\r\n..\r\n.point\r\n.\r\nfin\r\n"
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.sendmail("dr@medimail.mssante.fr", ["martine.dubois@ch-a.mssante.fr"], dotted)
    assert store.read(Message.objects.get(mailbox=martine).path).endswith(dotted)


@pytest.mark.parametrize("extra", [0, 1])
def test_a_message_at_and_above_the_size_limit(
    settings: Any, pki: Pki, martine: Account, extra: int
) -> None:
    """The limit counts the data's bytes as sent (CRLF and transparency dots included);
    at the limit 250, one byte above 552 once the data is read, and the session goes on."""
    data = RAW + b"x" * 500 + b"\r\n" + b".y\r\n"  # sent as "..y": one byte more
    settings.SMTP_MAX_BYTES = len(data) + 1 - extra
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.starttls(context=pki.client())
            client.ehlo()
            assert client.mail("dr@medimail.mssante.fr")[0] == 250  # no SIZE= given
            assert client.rcpt("martine.dubois@ch-a.mssante.fr")[0] == 250
            code, _ = client.data(data)
            assert code == (250 if extra == 0 else 552)
            assert client.noop()[0] == 250
    finally:
        controller.stop()
    assert Message.objects.count() == (1 if extra == 0 else 0)


def test_a_line_over_the_length_limit_is_refused(inbound: int, pki: Pki, martine: Account) -> None:
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        client.mail("dr@medimail.mssante.fr")
        client.rcpt("martine.dubois@ch-a.mssante.fr")
        code, _ = client.data(RAW + b"z" * 1000 + b"\r\n")  # 1,002 bytes with CRLF
        assert code == 500
        assert client.noop()[0] == 250
    assert Message.objects.count() == 0


def test_a_bare_lf_body_is_stored_as_sent(inbound: int, pki: Pki, martine: Account) -> None:
    body = b"From: dr@medimail.mssante.fr\nSubject: LF\n\nune\nligne\n.\nfin\n"
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        _open_data(client, pki, "martine.dubois@ch-a.mssante.fr")
        client.send(body + b"\r\n.\r\n")
        assert client.getreply()[0] == 250
    assert store.read(Message.objects.get(mailbox=martine).path).endswith(body + b"\r\n")


def test_commands_pipelined_after_the_data_are_answered(
    inbound: int, pki: Pki, martine: Account, paul: Account
) -> None:
    second = RAW.replace(b"cr-1@", b"cr-2@")
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        _open_data(client, pki, "martine.dubois@ch-a.mssante.fr")
        client.send(
            RAW + b".\r\nMAIL FROM:<dr@medimail.mssante.fr>\r\n"
            b"RCPT TO:<paul.martin@ch-a.mssante.fr>\r\nDATA\r\n"
        )
        assert [client.getreply()[0] for _ in range(4)] == [250, 250, 250, 354]
        client.send(second + b".\r\n")
        assert client.getreply()[0] == 250
    assert store.read(Message.objects.get(mailbox=martine).path).endswith(RAW)
    assert store.read(Message.objects.get(mailbox=paul).path).endswith(second)


def test_a_failed_commit_answers_451_and_the_session_goes_on(
    inbound: int, pki: Pki, martine: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure of the group commit reaches the client as a temporary error it will
    retry, and the next message of the session is stored."""
    from caducee.mail import inbound as inbound_module

    real = inbound_module.commit_inbound
    failures = [OSError("disque plein")]

    def commit_inbound(rows: list[Message], notify: set[int]) -> list[Message]:
        if failures:
            raise failures.pop()
        return real(rows, notify)

    monkeypatch.setattr(inbound_module, "commit_inbound", commit_inbound)
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        client.mail("dr@medimail.mssante.fr")
        client.rcpt("martine.dubois@ch-a.mssante.fr")
        code, text = client.data(RAW)
        assert code == 451 and text.startswith(b"4.3.0")
        retried = client.sendmail("dr@medimail.mssante.fr", ["martine.dubois@ch-a.mssante.fr"], RAW)
        assert retried == {}
    assert Message.objects.filter(mailbox=martine).count() == 1
