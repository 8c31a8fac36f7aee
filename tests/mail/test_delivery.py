"""The delivery queue against loopback SMTP sinks: success, 4xx, 5xx, unreachable, bounces."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.mail import delivery, mime, operations, store, tls
from caducee.mail.models import Message, Outbound, OutboundBody, QueueState
from tests.helpers import ctx_for
from tests.mail.conftest import free_port, user_of

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Sink:
    rcpt_answer: str = "250 OK"
    received: list[bytes] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        self.tls_seen.append(session.ssl is not None)
        self.recipients.extend(envelope.rcpt_tos)
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
    ctx = ctx_for(user_of(martine), martine)
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
    assert OutboundBody.objects.count() == 1
    assert delivery.run_once().sent == 1
    assert handler.tls_seen == [True]
    assert b"Subject: =?utf-8?q?R=C3=A9sultats?=" in handler.received[0]
    row = Outbound.objects.get()
    assert row.state == QueueState.SENT
    assert OutboundBody.objects.count() == 0  # the bytes go once delivered


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


# --- delivery across machines (issue #12) ------------------------------------------------


def _send_to(martine: Account, recipients: list[str]) -> None:
    ctx = ctx_for(user_of(martine), martine)
    draft = mime.Draft(sender="", to=recipients, subject="Compte rendu", body="Bonjour")
    assert operations.send_message(ctx, martine, draft, space="pro").queued == len(recipients)


def test_the_queued_bytes_live_in_the_database_not_in_a_local_file(
    sink: tuple[Sink, int], settings: Any, tmp_path: Path, martine: Account
) -> None:
    """A worker whose CADUCEE_HOME has no copy of anything still delivers (another machine)."""
    handler, _ = sink
    _send_to(martine, ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"])
    rows = list(Outbound.objects.all())
    assert {r.path for r in rows} == {""} and len({r.body_id for r in rows}) == 1
    assert not (Path(settings.MAIL_ROOT) / "queue").exists()
    settings.MAIL_ROOT = tmp_path / "other-machine" / "mail"  # an empty mail folder
    assert delivery.run_once().sent == 2
    assert sorted(handler.recipients) == ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"]
    assert all(b"Subject: Compte rendu" in data for data in handler.received)
    assert OutboundBody.objects.count() == 0


def test_a_body_stays_while_a_recipient_still_waits(
    sink: tuple[Sink, int], martine: Account
) -> None:
    handler, _ = sink
    _send_to(martine, ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"])
    [first, second] = delivery.claim(limit=2)
    assert delivery.attempt(first) == QueueState.SENT
    assert OutboundBody.objects.count() == 1  # the second recipient still needs it
    handler.rcpt_answer = "451 4.3.0 Réessayez"
    assert delivery.attempt(second) == QueueState.PENDING
    assert OutboundBody.objects.count() == 1
    handler.rcpt_answer = "250 OK"
    Outbound.objects.update(next_attempt_at=timezone.now())
    assert delivery.run_once().sent == 1
    assert OutboundBody.objects.count() == 0


def test_a_missing_body_is_retried_and_reported_never_bounced(
    sink: tuple[Sink, int], settings: Any, martine: Account, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = sink
    _send(martine)
    OutboundBody.objects.all().delete()  # lost: neither in the database nor in the store
    with caplog.at_level("ERROR", logger="caducee.mail.delivery"):
        assert delivery.run_once() == delivery.PassResult(retried=1)
    row = Outbound.objects.get()
    assert row.state == QueueState.PENDING and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    assert "introuvable" in row.last_error and "nouvel essai" in row.last_error
    assert "has no body" in caplog.text
    # Even after the retry period: an operator problem, never a bounce to the sender.
    Outbound.objects.update(
        next_attempt_at=timezone.now(),
        created_at=timezone.now() - timedelta(days=settings.DELIVERY_MAX_DAYS, minutes=1),
    )
    assert delivery.run_once() == delivery.PassResult(retried=1)
    assert Outbound.objects.get().state == QueueState.PENDING
    assert _bounces(martine) == [] and handler.received == []


def test_a_row_queued_before_the_database_bodies_is_sent_from_its_file(
    sink: tuple[Sink, int], martine: Account
) -> None:
    handler, _ = sink
    path = store.write("queue", b"Subject: ancien\r\n\r\nfile d'attente\r\n")
    now = timezone.now()
    Outbound.objects.create(
        sender="martine.dubois@ch-a.mssante.fr",
        recipient="dr.x@autre.mssante.fr",
        domain="autre.mssante.fr",
        path=path,
        mailbox=martine,
        next_attempt_at=now,
        created_at=now,
    )
    assert delivery.run_once().sent == 1
    assert b"Subject: ancien" in handler.received[0]
    assert not store.full_path(path).exists()


def test_concurrent_workers_never_send_the_same_row_twice(
    sink: tuple[Sink, int], martine: Account
) -> None:
    """Three workers (threads, each with its own database connection) drain one queue."""
    handler, _ = sink
    wanted = [f"dr.{n:02d}@autre.mssante.fr" for n in range(18)]
    _send_to(martine, wanted)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def worker() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(50):  # bounded
                if (
                    not delivery.run_once(limit=2).sent
                    and not Outbound.objects.filter(
                        state__in=[QueueState.PENDING, QueueState.SENDING]
                    ).exists()
                ):
                    break
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert sorted(handler.recipients) == wanted  # each exactly once
    assert set(Outbound.objects.values_list("state", flat=True)) == {QueueState.SENT}


def test_a_claim_does_not_wait_for_rows_another_worker_holds(
    sink: tuple[Sink, int], martine: Account
) -> None:
    """PostgreSQL: FOR UPDATE SKIP LOCKED hands the other rows at once. SQLite has no row
    locks (a writer holds the whole file): there the conditional UPDATE is the guarantee."""
    _send_to(martine, ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"])
    held, other = Outbound.objects.order_by("pk").values_list("pk", flat=True)
    if not connection.features.has_select_for_update_skip_locked:
        assert [r.pk for r in delivery.claim(limit=1)] == [held]
        assert [r.pk for r in delivery.claim()] == [other]
        return
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                list(Outbound.objects.select_for_update().filter(pk=held))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        began = time.monotonic()
        assert [r.pk for r in delivery.claim()] == [other]
        assert time.monotonic() - began < 5
    finally:
        release.set()
        thread.join(timeout=30)
    assert [r.pk for r in delivery.claim()] == [held]


# --- claims renewed per row -------------------------------------------------------------


def test_a_slow_batch_keeps_its_rows_and_a_stolen_row_is_not_sent_twice(
    sink: tuple[Sink, int], settings: Any, martine: Account
) -> None:
    handler, _ = sink
    settings.DELIVERY_CLAIM_SECONDS = 60
    _send_to(martine, ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"])
    first, second = delivery.claim(limit=2)
    # The batch went on for longer than the claim period: its rows look abandoned…
    Outbound.objects.update(claimed_at=timezone.now() - timedelta(seconds=61))
    first.claimed_at = second.claimed_at = Outbound.objects.get(pk=first.pk).claimed_at
    # …but sending the first one renews its claim: another worker does not take it.
    assert delivery.attempt(first) == QueueState.SENT
    # Meanwhile another worker took the second, still stale, row.
    [stolen] = delivery.claim(limit=2)
    assert stolen.pk == second.pk
    # The first worker reaches it: not its row any more, it leaves it to the new owner.
    assert delivery.attempt(second) == QueueState.SENDING
    assert delivery.attempt(stolen) == QueueState.SENT
    assert sorted(handler.recipients) == ["dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"]
