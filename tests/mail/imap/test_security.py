"""TLS and login limits of the IMAP service: implicit TLS (CADUCEE_IMAPS), no plaintext
login off loopback, throttled and audited failures."""

from __future__ import annotations

import imaplib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.mail import tls
from caducee.mail.imap.server import ImapService
from caducee.mail.imap.session import Session
from tests.mail.conftest import free_port, user_of
from tests.mail.imap.conftest import client_tls, connect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def imaps() -> Iterator[ImapService]:
    service = ImapService("127.0.0.1", free_port(), implicit_tls=True)
    service.start()
    yield service
    service.stop()


def test_implicit_tls_listener(imaps: ImapService, martine: Account, app_password: str) -> None:
    client = imaplib.IMAP4_SSL("127.0.0.1", imaps.port, ssl_context=client_tls(), timeout=10)
    assert b"STARTTLS" not in client.capability()[1][0]
    client.login(user_of(martine).email, app_password)
    assert client.select("INBOX")[0] == "OK"
    client.logout()


def test_no_plaintext_login_from_another_address(martine: Account, app_password: str) -> None:
    """A session whose client is not on loopback (peer 192.0.2.5) must start TLS first."""
    server_side, client_side = socket.socketpair()
    session = Session(server_side, "192.0.2.5", tls.server_context())
    thread = threading.Thread(target=session.run, daemon=True)
    thread.start()
    reader = client_side.makefile("rb")
    greeting = reader.readline()
    assert b"LOGINDISABLED" in greeting and b"STARTTLS" in greeting
    assert b"AUTH=PLAIN" not in greeting
    client_side.sendall(f"a1 LOGIN {user_of(martine).email} {app_password}\r\n".encode())
    assert reader.readline().startswith(b"a1 NO [PRIVACYREQUIRED]")
    client_side.sendall(b"a2 LOGOUT\r\n")
    assert reader.readline().startswith(b"* BYE")
    thread.join(timeout=10)
    reader.close()
    client_side.close()


def test_failures_are_throttled_and_audited(
    imap: ImapService, martine: Account, app_password: str, settings: Any
) -> None:
    settings.LOCKOUT_FREE_FAILURES = 1
    settings.LOCKOUT_THRESHOLD = 3
    login = user_of(martine).email
    client = connect(imap)
    client.starttls(ssl_context=client_tls())
    for _ in range(3):
        with pytest.raises(imaplib.IMAP4.error):
            client.login(login, "mauvais-mot-de-passe")
    # Throttled: even the right password is not checked now.
    with pytest.raises(imaplib.IMAP4.error, match="UNAVAILABLE"):
        client.login(login, app_password)
    client.logout()
    failed = AuditEvent.objects.filter(action="mail.imap_login_failed", target_label=login)
    assert failed.count() == 1  # once per person and window, not per attempt


def test_a_fault_of_ours_is_answered_and_the_session_goes_on(
    imap: ImapService, martine: Account, app_password: str, monkeypatch: Any
) -> None:
    from caducee.mail.imap import parts
    from tests.mail.imap.conftest import deliver, joined, logged_in

    deliver(martine, "Compte rendu")
    mail = logged_in(imap, user_of(martine).email, app_password)
    mail.select("INBOX")

    def broken(node: object) -> bytes:
        raise RuntimeError("bug")

    monkeypatch.setattr(parts, "envelope", broken)
    typ, data = mail.fetch("1", "(ENVELOPE)")
    assert typ == "NO" and b"[SERVERBUG]" in joined(data)
    assert mail.noop()[0] == "OK"
    mail.logout()
