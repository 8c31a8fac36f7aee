"""The delivery queue against loopback SMTP sinks: success, 4xx, 5xx, unreachable, bounces."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.mail import delivery, mime, operations, store, tls
from caducee.mail.models import Message, Outbound, QueueState
from tests.mail.conftest import free_port, user_of

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Sink:
    rcpt_answer: str = "250 OK"
    received: list[bytes] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        self.tls_seen.append(session.ssl is not None)
        return "250 OK"


@pytest.fixture
def sink(settings: Any) -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=tls.server_context()
    )
    controller.start()
    settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{port}"
    settings.SMTP_TLS_CA_FILE = str(tls.certificate_paths()[0])
    yield handler, port
    controller.stop()


def _send(martine: Account) -> None:
    ctx = Context(user=user_of(martine), acting_as=martine)
    draft = mime.Draft(sender="", to=["dr.x@autre.mssante.fr"], subject="Résultats", body="Bonjour")
    result = operations.send_message(ctx, martine, draft, space="pro")
    assert result.queued == 1


def _bounces(martine: Account) -> list[Message]:
    return list(
        Message.objects.filter(
            mailbox=martine, folder="inbox", subject="Undelivered Mail Returned to Sender"
        )
    )


def test_it_delivers_over_verified_starttls(sink: tuple[Sink, int], martine: Account) -> None:
    handler, _ = sink
    _send(martine)
    path = Outbound.objects.get().path
    assert delivery.run_once().sent == 1
    assert handler.tls_seen == [True]
    assert b"Subject: =?utf-8?q?R=C3=A9sultats?=" in handler.received[0]
    row = Outbound.objects.get()
    assert row.state == QueueState.SENT
    assert not store.full_path(path).exists()


def test_a_5xx_answer_bounces_at_once(sink: tuple[Sink, int], martine: Account) -> None:
    handler, _ = sink
    handler.rcpt_answer = "550 5.1.1 Utilisateur inconnu"
    _send(martine)
    assert delivery.run_once().bounced == 1
    [bounce] = _bounces(martine)
    text = mime.parse(store.read(bounce.path)).text
    assert "dr.x@autre.mssante.fr" in text and "550 5.1.1 Utilisateur inconnu" in text
    assert bounce.sender.startswith("MAILER-DAEMON@ch-a.mssante.fr")


def test_a_4xx_answer_is_retried_later(sink: tuple[Sink, int], martine: Account) -> None:
    handler, _ = sink
    handler.rcpt_answer = "451 4.3.0 Réessayez"
    _send(martine)
    assert delivery.run_once().retried == 1
    row = Outbound.objects.get()
    assert row.state == QueueState.PENDING and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert delivery.run_once().retried == 0  # not due yet
    handler.rcpt_answer = "250 OK"
    Outbound.objects.update(next_attempt_at=timezone.now())
    assert delivery.run_once().sent == 1
    assert _bounces(martine) == []


def test_an_unreachable_route_bounces_after_the_retry_period(
    settings: Any, martine: Account
) -> None:
    settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{free_port()}"
    settings.SMTP_TIMEOUT = 5
    _send(martine)
    assert delivery.run_once().retried == 1
    assert "connexion impossible" in Outbound.objects.get().last_error
    assert _bounces(martine) == []
    Outbound.objects.update(
        next_attempt_at=timezone.now(),
        created_at=timezone.now() - timedelta(days=settings.DELIVERY_MAX_DAYS, minutes=1),
    )
    assert delivery.run_once().bounced == 1
    [bounce] = _bounces(martine)
    assert "connexion impossible" in mime.parse(store.read(bounce.path)).text


def test_tls_is_required_by_default(settings: Any, martine: Account) -> None:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)  # no STARTTLS
    controller.start()
    try:
        settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{port}"
        _send(martine)
        assert delivery.run_once().retried == 1
        assert "STARTTLS" in Outbound.objects.get().last_error
        assert handler.received == []
        settings.SMTP_REQUIRE_TLS = False
        Outbound.objects.update(next_attempt_at=timezone.now())
        assert delivery.run_once().sent == 1
    finally:
        controller.stop()


def test_an_unverified_certificate_is_a_temporary_failure(
    sink: tuple[Sink, int], settings: Any, martine: Account
) -> None:
    settings.SMTP_TLS_CA_FILE = ""  # system CAs do not know the self-signed certificate
    _send(martine)
    assert delivery.run_once().retried == 1
    assert "TLS" in Outbound.objects.get().last_error


def test_two_workers_never_send_the_same_row(sink: tuple[Sink, int], martine: Account) -> None:
    _send(martine)
    first = delivery.claim()
    second = delivery.claim()
    assert len(first) == 1 and second == []


def test_delivery_presents_the_client_certificate_and_trusts_the_anchors(
    settings: Any, tmp_path: Any, martine: Account
) -> None:
    """Review L9: peers check the platform's certificate against the MSSanté whitelist."""
    import ssl

    from tests.mail.certificates import TestCA

    ca = TestCA(tmp_path / "pki")
    server, client = ca.issue("server", "mx.autre.test"), ca.issue("client", "mx.ch-a.test")
    seen: list[Any] = []

    class Recorder(Sink):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            seen.append(session.ssl["ssl_object"].getpeercert())
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca.cert))
    context.load_cert_chain(str(server.cert), str(server.key))
    context.verify_mode = ssl.CERT_REQUIRED
    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port, tls_context=context)
    controller.start()
    try:
        settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{port}"
        settings.SMTP_TRUST_ANCHORS = str(ca.cert)  # verifies the server: no CA file needed
        settings.SMTP_TLS_CA_FILE = ""
        settings.SMTP_CLIENT_CERT, settings.SMTP_CLIENT_KEY = str(client.cert), str(client.key)
        _send(martine)
        assert delivery.run_once().sent == 1
    finally:
        controller.stop()
    [peer] = seen
    assert ("commonName", "mx.ch-a.test") in [pair for rdn in peer["subject"] for pair in rdn]
