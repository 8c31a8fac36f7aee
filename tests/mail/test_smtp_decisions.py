"""SMTP decisions, tested without sockets (as healthchecks' smtpd tests)."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.mail import smtp_server
from caducee.mail.models import Message
from tests.mail.conftest import user_of


def test_it_accepts_a_local_mssante_address(martine: Account) -> None:
    answer, account = smtp_server.inbound_rcpt("<martine.dubois@ch-a.mssante.fr>")
    assert answer.startswith("250")
    assert account == (martine.pk, "PER")


def test_it_refuses_an_unknown_local_user_with_5_1_1(martine: Account) -> None:
    answer, account = smtp_server.inbound_rcpt("nobody@ch-a.mssante.fr")
    assert answer.startswith("550 5.1.1")
    assert account is None


def test_it_refuses_relaying_with_5_7_1(martine: Account) -> None:
    assert smtp_server.inbound_rcpt("someone@gmail.com")[0].startswith("550 5.7.1")
    # the account email is reachable only from inside the platform
    assert smtp_server.inbound_rcpt(martine.email)[0].startswith("550 5.7.1")


def test_it_refuses_a_malformed_address(martine: Account) -> None:
    assert smtp_server.inbound_rcpt("pas une adresse")[0].startswith("501")


@pytest.mark.django_db(transaction=True)
def test_inbound_data_stores_before_answering(martine: Account) -> None:
    answer = smtp_server.inbound_data(
        b"From: a@b.mssante.fr\r\nSubject: Bonjour\r\n\r\nx\r\n", [(martine.pk, "PER")]
    )
    assert answer.startswith("250")
    row = Message.objects.get(mailbox=martine)
    assert row.subject == "Bonjour" and row.folder == "inbox"


def test_submission_sender_must_be_an_openable_mailbox(
    martine: Account, paul: Account, secretariat: Account
) -> None:
    user = user_of(martine)
    assert smtp_server.submission_mail_from(user, "martine.dubois@ch-a.mssante.fr")[1] == martine
    assert smtp_server.submission_mail_from(user, martine.email)[1] == martine
    assert smtp_server.submission_mail_from(user, "secretariat@ch-a.mssante.fr")[1] == secretariat
    answer, mailbox = smtp_server.submission_mail_from(user, "paul.martin@ch-a.mssante.fr")
    assert answer.startswith("553 5.7.1") and mailbox is None


def test_submission_recipients(martine: Account, paul: Account, settings: Any) -> None:
    assert smtp_server.submission_rcpt(martine, "paul.martin@ch-a.mssante.fr").startswith("250")
    assert smtp_server.submission_rcpt(martine, paul.email).startswith("250")
    assert smtp_server.submission_rcpt(martine, "x@gmail.com").startswith("550 5.7.1")
    assert smtp_server.submission_rcpt(martine, "nobody@ch-a.mssante.fr").startswith("550 5.1.1")
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:2526"
    assert smtp_server.submission_rcpt(martine, "z@autre.mssante.fr").startswith("250")


def test_rcpt_answers_are_remembered_for_a_few_seconds_only() -> None:
    cache = smtp_server.RcptCache(ttl=60)
    cache.put("Martine.Dubois@ch-a.mssante.fr", "250 ok", (1, "PER"))
    assert cache.get("martine.dubois@ch-a.mssante.fr") == ("250 ok", (1, "PER"))
    assert cache.get("paul@ch-a.mssante.fr") is None
    expired = smtp_server.RcptCache(ttl=0)
    expired.put("a@b.fr", "250 ok", (1, "PER"))
    assert expired.get("a@b.fr") is None
    small = smtp_server.RcptCache(ttl=60, size=2)
    for n in range(3):
        small.put(f"{n}@b.fr", "250 ok", (n, "PER"))
    assert len(small.entries) <= 2


def test_smtp_replies_are_ascii() -> None:
    assert smtp_server.ascii_reply(smtp_server.RELAY_DENIED) == (
        "550 5.7.1 Relais refuse : ce serveur ne recoit que pour ses propres domaines"
    )
    assert smtp_server.ascii_reply("550 a\r\nb") == "550 a  b"


@pytest.mark.parametrize("limit", [64, 0])
@pytest.mark.parametrize(
    "arg",
    [
        "",
        "<martine.dubois@ch-a.mssante.fr>",
        "<martine.dubois@ch-a.mssante.fr> SIZE=1000 BODY=8BITMIME",
        "martine.dubois@ch-a.mssante.fr",
        "<>",
        '<"jean dupont"@ch-a.mssante.fr>',
        "<@relais.fr:martine@ch-a.mssante.fr>",
        "<" + "x" * 70 + "@ch-a.mssante.fr>",
        "<pas une adresse",
        "<a@b@c>",
        "   <espace@ch-a.mssante.fr>",
        "<é@ch-a.mssante.fr>",
        "<Martine.Dubois+cr@CH-A.mssante.fr>",
        "<martine@ch-a.mssante.fr>SIZE=1",
        "<martine@ch-a.mssante.fr>  SIZE=1 ",
        "<a..b@ch-a.mssante.fr>",
        "<.a@ch-a.mssante.fr>",
        "<a.@ch-a.mssante.fr>",
        "<a@ch-a.mssante.fr.>",
        "<a@-ch-a>",
        "<a@[127.0.0.1]>",
        "<a@b> (commentaire)",
        "<a@b> (commentaire) SIZE=1",
        "<a@b>\t SIZE=1",
        "<a@b>\r\n",
        "<a@b>\u00a0SIZE=1",
        "<a!#$%&'*+/=?^_`{|}~-@b.c>",
        "<a@b.c",
        "<a@b.c>>",
    ],
)
def test_the_address_parsing_is_aiosmtpd_s_own(arg: str, limit: int) -> None:
    from types import SimpleNamespace

    from aiosmtpd.smtp import SMTP

    server = SimpleNamespace(local_part_limit=limit)
    expected = SMTP._getaddr(server, arg)  # type: ignore[arg-type]
    assert smtp_server.CaduceeSMTP._getaddr(server, arg) == expected  # type: ignore[arg-type]


def test_trust_verdicts_are_remembered_per_peer_and_domain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from caducee.mail import trust
    from caducee.mail.smtp.handlers import TrustCache

    calls: list[str] = []

    def check_domain(peer: trust.Peer, domain: str) -> str | None:
        calls.append(domain)
        return None if domain.lower() == "ok.fr" else "550 5.7.1 non"

    monkeypatch.setattr(trust, "check_domain", check_domain)
    one = trust.Peer("TLSv1.3", (("cn", "one"),), "CN=one")
    two = trust.Peer("TLSv1.3", (("cn", "two"),), "CN=two")
    cache = TrustCache(ttl=60)
    assert cache.check_domain(one, "OK.fr") is None
    assert cache.check_domain(one, "ok.fr") is None  # remembered
    assert cache.check_domain(two, "ok.fr") is None  # another certificate: checked again
    assert cache.check_domain(one, "x.fr") == "550 5.7.1 non"
    assert cache.check_domain(one, "x.fr") == "550 5.7.1 non"
    assert calls == ["OK.fr", "ok.fr", "x.fr"]
    cache.remember_sender(one, "ok.fr", "250 ok")
    assert cache.sender(one, "ok.fr") == "250 ok"
    assert cache.sender(two, "ok.fr") is None
    expired = TrustCache(ttl=0)
    expired.remember_sender(one, "ok.fr", "250 ok")
    assert expired.sender(one, "ok.fr") is None
    expired.check_domain(one, "ok.fr")
    expired.check_domain(one, "ok.fr")
    assert calls[-2:] == ["ok.fr", "ok.fr"]


def test_a_remembered_mail_from_is_answered_without_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from aiosmtpd.smtp import Envelope, Session

    from caducee.mail import trust
    from caducee.mail.smtp import handlers

    asked: list[str] = []

    def inbound_mail_from(peer: trust.Peer, address: str) -> str:
        asked.append(address)
        return "250 2.1.0 ok"

    monkeypatch.setattr(handlers, "inbound_mail_from", inbound_mail_from)
    handler = handlers.InboundHandler(cache_ttl=60)
    loop = asyncio.new_event_loop()
    session = Session(loop)
    peer = trust.Peer("TLSv1.3", (("cn", "one"),), "CN=one")
    session.caducee_peer = peer  # type: ignore[attr-defined]

    def mail(address: str) -> str:
        server: Any = None
        answer = handler.handle_MAIL(server, session, Envelope(), address, [])
        return loop.run_until_complete(answer)

    try:
        assert mail("dr@medimail.mssante.fr").startswith("250")
        assert mail("Autre <sec@MEDIMAIL.mssante.fr>").startswith("250")  # same domain
        assert mail("x@autre.mssante.fr").startswith("250")
    finally:
        loop.close()
    assert asked == ["dr@medimail.mssante.fr", "x@autre.mssante.fr"]


def test_the_address_parsing_matches_aiosmtpd_on_random_arguments() -> None:
    import random
    from types import SimpleNamespace

    from aiosmtpd.smtp import SMTP

    server = SimpleNamespace(local_part_limit=64)
    pieces = ["<", ">", "@", ".", "a", "B", "-", "+", " ", "\t", "(", ")", '"', "[", "é", "x.y"]
    rng = random.Random(19)
    for _ in range(3000):
        arg = "<" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.5:
            arg = f"<{rng.choice(['a', 'a.b', 'x-y+z'])}@{rng.choice(['b', 'b.c', 'd-e.f'])}>"
            arg += "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert outcome(SMTP._getaddr, server, arg) == outcome(
            smtp_server.CaduceeSMTP._getaddr, server, arg
        ), arg


def outcome(parse: Any, server: Any, arg: str) -> object:
    """The parse's result, or the exception it raises (the library fails on `<` alone)."""
    try:
        return parse(server, arg)
    except Exception as exc:  # compared, not handled
        return type(exc)
