"""Abuse limits of the SMTP listeners, against real servers on 127.0.0.1."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import operations, smtp_limits, smtp_server
from tests.mail.conftest import Pki, free_port, user_of

pytestmark = pytest.mark.django_db(transaction=True)


def started(make: Callable[..., Controller]) -> tuple[Controller, int]:
    port = free_port()
    controller = make("127.0.0.1", port)
    controller.start()
    limiter = controller.SMTP_kwargs["limiter"]
    deadline = time.monotonic() + 5  # aiosmtpd's own start-up probe connection goes away
    while limiter.count and time.monotonic() < deadline:
        time.sleep(0.02)
    return controller, port


@pytest.fixture
def listener(request: pytest.FixtureRequest) -> Iterator[Callable[..., int]]:
    controllers: list[Controller] = []

    def start(make: Callable[..., Controller] = smtp_server.inbound_controller) -> int:
        controller, port = started(make)
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def greeting(port: int) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock, sock.recv(1024)


def test_sessions_per_client_address_are_limited(
    settings: Any, listener: Callable[..., int]
) -> None:
    settings.SMTP_MAX_SESSIONS_PER_IP = 2
    port = listener()
    first, hello = greeting(port)
    second, _ = greeting(port)
    assert hello.startswith(b"220")
    third, refused = greeting(port)
    assert refused.startswith(b"421 4.7.0")
    assert third.recv(1024) == b""  # closed by the server
    for sock in (first, second, third):
        sock.close()
    deadline = time.monotonic() + 5
    answer = b""
    while time.monotonic() < deadline and not answer.startswith(b"220"):
        again, answer = greeting(port)  # the slots come back when sessions end
        again.close()
    assert answer.startswith(b"220")


def test_a_failed_tls_handshake_gives_its_slot_back(
    settings: Any, listener: Callable[..., int], pki: Pki
) -> None:
    settings.SMTP_MAX_SESSIONS_PER_IP = 1
    port = listener()
    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
    client.ehlo()
    assert client.docmd("STARTTLS")[0] == 220
    assert client.sock is not None
    client.sock.sendall(b"not a TLS handshake\r\n" * 10)
    client.close()
    deadline = time.monotonic() + 5
    answer = b""
    while time.monotonic() < deadline and not answer.startswith(b"220"):
        again, answer = greeting(port)
        again.close()
    assert answer.startswith(b"220")


def test_sessions_in_total_are_limited_on_submission_too(
    settings: Any, listener: Callable[..., int]
) -> None:
    settings.SMTP_MAX_SESSIONS = 1
    port = listener(smtp_server.submission_controller)
    first, hello = greeting(port)
    second, refused = greeting(port)
    assert hello.startswith(b"220") and refused.startswith(b"421 4.7.0")
    first.close()
    second.close()


def test_recipients_per_message_are_limited(
    settings: Any, listener: Callable[..., int], pki: Pki, martine: Account, paul: Account
) -> None:
    settings.SMTP_MAX_RCPT = 2
    port = listener()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        assert client.mail("dr@medimail.mssante.fr")[0] == 250
        assert client.rcpt("martine.dubois@ch-a.mssante.fr")[0] == 250
        assert client.rcpt("paul.martin@ch-a.mssante.fr")[0] == 250
        code, text = client.rcpt("martine.dubois@ch-a.mssante.fr")
        assert code == 452 and text.startswith(b"4.5.3 ")


def test_recipients_per_message_are_limited_on_submission(
    settings: Any, listener: Callable[..., int], martine: Account, paul: Account
) -> None:
    settings.SMTP_MAX_RCPT = 1
    port = listener(smtp_server.submission_controller)
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.starttls(context=unverified())
        client.login(martine.email, secret)
        assert client.mail("martine.dubois@ch-a.mssante.fr")[0] == 250
        assert client.rcpt("paul.martin@ch-a.mssante.fr")[0] == 250
        assert client.rcpt("martine.dubois@ch-a.mssante.fr")[0] == 452


def test_a_command_repeated_too_often_ends_the_session(
    settings: Any, listener: Callable[..., int]
) -> None:
    settings.SMTP_COMMAND_LIMIT = 3
    port = listener()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for _ in range(3):
            assert client.noop()[0] == 250
        code, text = client.noop()
        assert code == 421 and text.startswith(b"4.7.0")


def test_an_idle_session_is_closed(settings: Any, listener: Callable[..., int]) -> None:
    settings.SMTP_IDLE_TIMEOUT = 1
    port = listener()
    sock, hello = greeting(port)
    assert hello.startswith(b"220")
    begin = time.monotonic()
    received = b""
    while True:  # bounded by the socket timeout (10 s)
        chunk = sock.recv(1024)
        if not chunk:
            break
        received += chunk
    sock.close()
    assert time.monotonic() - begin < 8
    assert received == b""  # closed without a word (aiosmtpd)


def test_the_limiter_counts_per_address() -> None:
    limiter = smtp_limits.SessionLimiter(total=3, per_ip=2)
    assert limiter.acquire("192.0.2.1") and limiter.acquire("192.0.2.1")
    assert not limiter.acquire("192.0.2.1")
    assert limiter.acquire("192.0.2.2")
    assert not limiter.acquire("192.0.2.3")  # total reached
    limiter.release("192.0.2.1")
    assert limiter.acquire("192.0.2.3")
    assert limiter.open == {"192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1}
