"""Issue #18 point 2: the MSSanté headers (X-MSS-NIL, X-MSS-CODECDA, X-MSS-INS, X-MSS-MES),
test addresses, the operator's certificate on outgoing delivery, the Patient space; over
loopback with real clients (smtplib on the SMTP services, Django's client on the webmail
and the API) and a TLS SMTP peer (aiosmtpd) standing for another operator."""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.accounts.operations import create_account
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.mail import delivery, mime, mss, operations, smtp_server, store
from caducee.mail.models import Message, Outbound, QueueState, WhitelistDomain
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.helpers import api_headers, client_for, ctx_for
from tests.mail import clients
from tests.mail.certificates import Issued, TestCA
from tests.mail.conftest import PEER_DOMAIN, Pki, free_port, user_of

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT = "279035121518989@patient.mssante.fr"
INS = "279035121518989"
CDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="CR de consultation"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
  </patientRole></recordTarget>
</ClinicalDocument>
"""
CDA_NO_INS = CDA.replace(b"11488-4", b"34133-9").replace(b"1.2.250.1.213.1.4.8", b"1.2.3")


def _headers(data: bytes) -> Any:
    return message_from_bytes(data)


# --- detection (pure) ---------------------------------------------------------------


def test_a_cda_is_found_by_its_content_and_gives_its_code() -> None:
    found = mss.read_cda(mime.Attachment("cr.xml", "text/xml", CDA))
    assert found == mss.Cda("11488-4", True)
    assert mss.read_cda(mime.Attachment("cr.bin", "application/octet-stream", CDA)) is None
    assert mss.read_cda(mime.Attachment("x.xml", "text/xml", b"<html/>")) is None
    assert mss.read_cda(mime.Attachment("x.xml", "text/xml", b"<not xml")) is None
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><ClinicalDocument xmlns="urn:hl7-org:v3"/>'
    assert mss.read_cda(mime.Attachment("x.xml", "text/xml", bomb)) is None


def test_the_ins_field_is_a_valid_nir() -> None:
    assert mss.check_ins(" 2 79 03 51 215 189 89 ") == INS
    assert mss.check_ins("") == ""
    with pytest.raises(Invalid, match="INS du patient"):
        mss.check_ins("279035121518988")  # wrong key


def test_every_message_gets_the_nil_and_the_cda_headers() -> None:
    stamp = mss.stamp_for(
        [
            mime.Attachment("a.xml", "application/xml", CDA),
            mime.Attachment("b.xml", "application/xml", CDA_NO_INS),
            mime.Attachment("c.xml", "application/xml", CDA),
        ]
    )
    assert stamp.headers() == [
        ("X-MSS-NIL", "Caducee-0.1.0"),
        ("X-MSS-CODECDA", "11488-4,34133-9"),
        ("X-MSS-INS", "O"),
    ]
    assert mss.stamp_for([mime.Attachment("b.xml", "text/xml", CDA_NO_INS)]).headers()[-1] == (
        "X-MSS-INS",
        "N",
    )
    assert mss.stamp_for([]).headers() == [("X-MSS-NIL", "Caducee-0.1.0")]


def test_a_ready_made_message_keeps_its_softwares_values_only_without_a_readable_cda() -> None:
    raw = (
        b"X-MSS-NIL: spoofed\r\nX-MSS-CODECDA: 11490-0\r\nX-MSS-INS: O\r\n"
        b"X-MSS-MES: fin\r\nFrom: a@ch-a.mssante.fr\r\nSubject: x\r\n\r\nbody\r\n"
    )
    stamped = _headers(mss.stamp_raw(raw, mime.parse(raw)))
    assert stamped.get_all("X-MSS-NIL") == ["Caducee-0.1.0"]
    assert stamped["X-MSS-CODECDA"] == "11490-0" and stamped["X-MSS-INS"] == "O"
    assert stamped["X-MSS-MES"] == "FIN"


# --- webmail, API, SMTP submission --------------------------------------------------


@dataclass
class Peer:
    """Another operator's MTA on loopback (STARTTLS, its certificate from the test CA)."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"


@dataclass
class Operator:
    peer: Peer
    port: int
    cert: Issued
    ca: TestCA


@pytest.fixture
def operator(settings: Any, tmp_path: Path) -> Iterator[Operator]:
    """`autre.mssante.fr`, whitelisted with its server certificate's DN, routed to a TLS
    peer on loopback; the platform presents its own client certificate."""
    ca = TestCA(tmp_path / "operators")
    server = ca.issue("autre", "mx.autre.test", ou="1630013605", org="Autre operateur")
    own = ca.issue("caducee", "mx.ch-a.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca.cert))
    context.load_cert_chain(str(server.cert), str(server.key))
    context.verify_mode = ssl.CERT_REQUIRED  # the platform must show its certificate
    peer, port = Peer(), free_port()
    controller = Controller(peer, hostname="127.0.0.1", port=port, tls_context=context)
    controller.start()
    settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{port}"
    settings.SMTP_TLS_CA_FILE = str(ca.cert)
    settings.SMTP_CLIENT_CERT, settings.SMTP_CLIENT_KEY = str(own.cert), str(own.key)
    WhitelistDomain.objects.create(
        name="autre.mssante.fr", operator_dn=server.dn, loaded_at=timezone.now()
    )
    yield Operator(peer, port, server, ca)
    controller.stop()


def test_the_webmail_sends_cda_codes_ins_and_nil_to_another_operator(
    operator: Operator, martine: Account
) -> None:
    web = client_for(user_of(martine))
    cda = _upload("cr.xml", CDA)
    answer = web.post(
        "/messagerie/pro/nouveau/",
        {
            "to": "dr.x@autre.mssante.fr",
            "subject": "Compte rendu",
            "body": "Bonjour",
            "ins": "2 79 03 51 215 189 89",
            "attachments": [cda],
            "send": "1",
        },
    )
    assert answer.status_code == 302, unescape(answer.content.decode())
    assert delivery.run_once().sent == 1
    [data] = operator.peer.received
    headers = _headers(data)
    assert headers["X-MSS-NIL"] == "Caducee-0.1.0"
    assert headers["X-MSS-CODECDA"] == "11488-4"
    assert headers["X-MSS-INS"] == "O" and headers["X-Caducee-INS"] == INS
    sent = Message.objects.get(mailbox=martine, folder="sent")
    assert _headers(store.read(sent.path))["X-MSS-CODECDA"] == "11488-4"


def test_the_webmail_refuses_an_invalid_ins_in_french(martine: Account, paul: Account) -> None:
    web = client_for(user_of(martine))
    answer = web.post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "x", "ins": "12345", "send": "1"},
    )
    assert answer.status_code == 422
    assert "INS du patient « 12345 » invalide" in unescape(answer.content.decode())
    assert not Message.objects.filter(mailbox=paul).exists()


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/xml")


def test_the_recipient_sees_the_cda_and_the_ins_in_the_webmail_and_the_api(
    martine: Account, paul: Account
) -> None:
    body = {
        "mailbox": "martine.dubois@ch-a.mssante.fr",
        "to": ["paul.martin@ch-a.mssante.fr"],
        "subject": "CR",
        "body": "Ci-joint.",
        "attachments": [
            {
                "filename": "cr.xml",
                "content_type": "text/xml",
                "content_base64": base64.b64encode(CDA).decode(),
            }
        ],
    }
    sent = Client().post(
        "/api/v1/mail/messages",
        body,
        content_type="application/json",
        **api_headers(user_of(martine)),
    )
    assert sent.status_code == 201, sent.content
    received = Message.objects.get(mailbox=paul, folder="inbox")
    page = client_for(user_of(paul)).get(f"/messagerie/message/{received.pk}/").content.decode()
    assert "Documents CDA" in page and "11488-4" in page
    assert "INS du patient" in page and "joint" in page
    detail = (
        Client()
        .get(
            f"/api/v1/mail/messages/{received.pk}?mailbox=paul.martin@ch-a.mssante.fr",
            **api_headers(user_of(paul)),
        )
        .json()
    )
    assert detail["cda_codes"] == ["11488-4"] and detail["ins"] == "O"
    assert detail["closes_exchange"] is False


@pytest.fixture
def submission(settings: Any) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.submission_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_a_mail_client_message_gets_the_nil_and_its_cda_code(
    submission: int, martine: Account, paul: Account
) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    draft = mime.Draft(
        sender="martine.dubois@ch-a.mssante.fr",
        to=["paul.martin@ch-a.mssante.fr"],
        subject="CR",
        body="Ci-joint",
        attachments=[mime.Attachment("cr.xml", "application/xml", CDA_NO_INS)],
        extra_headers={"X-MSS-NIL": "autre logiciel"},
    )
    raw = mime.compose(draft)
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.login(martine.email, secret)
        assert client.sendmail(martine_address(), ["paul.martin@ch-a.mssante.fr"], raw) == {}
    received = _headers(store.read(Message.objects.get(mailbox=paul, folder="inbox").path))
    assert received.get_all("X-MSS-NIL") == ["Caducee-0.1.0"]
    assert received["X-MSS-CODECDA"] == "34133-9" and received["X-MSS-INS"] == "N"


def martine_address() -> str:
    return "martine.dubois@ch-a.mssante.fr"


# --- X-MSS-MES: FIN and the Patient space over the inbound MTA ----------------------


@pytest.fixture
def inbound(settings: Any, pki: Pki) -> Iterator[int]:
    """The inbound MTA; the patient domain is whitelisted for the test peer operator."""
    WhitelistDomain.objects.create(
        name="patient.mssante.fr", operator_dn=pki.peer.dn, loaded_at=timezone.now()
    )
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _from_patient(in_reply_to: str = "", subject: str = "Question") -> bytes:
    head = f"From: {PATIENT}\r\nTo: martine.dubois@ch-a.mssante.fr\r\nSubject: {subject}\r\n"
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    return (head + f"Message-ID: <{subject.replace(' ', '')}@patient>\r\n\r\nBonjour\r\n").encode()


def test_mail_from_a_patient_lands_in_the_patient_space(
    inbound: int, pki: Pki, martine: Account
) -> None:
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        assert client.sendmail(PATIENT, [martine_address()], _from_patient()) == {}
    row = Message.objects.get(mailbox=martine)
    assert row.space == "patient" and row.folder == "inbox"
    page = client_for(user_of(martine)).get("/messagerie/patient/inbox/").content.decode()
    assert "Question" in page
    assert (
        "Question"
        not in client_for(user_of(martine)).get("/messagerie/pro/inbox/").content.decode()
    )


def test_a_patient_may_not_reply_to_a_message_closed_with_fin(
    inbound: int, pki: Pki, martine: Account, settings: Any
) -> None:
    settings.SMTP_ROUTES = "patient.mssante.fr=127.0.0.1:9"  # queued, never sent here
    ctx = ctx_for(user_of(martine), martine)
    closed = mime.Draft(sender="", to=[PATIENT], subject="Résultats", closes_exchange=True)
    operations.send_message(ctx, martine, closed, space="patient")
    open_ = mime.Draft(sender="", to=[PATIENT], subject="Rendez-vous")
    operations.send_message(ctx, martine, open_, space="patient")
    sent = {m.subject: m for m in Message.objects.filter(mailbox=martine, folder="sent")}
    queued = delivery.message_bytes(Outbound.objects.order_by("pk").first())  # type: ignore[arg-type]
    assert _headers(queued)["X-MSS-MES"] == "FIN"
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(
                PATIENT, [martine_address()], _from_patient(sent["Résultats"].message_id, "Re 1")
            )
        assert refused.value.smtp_code == 550
        assert b"le professionnel a clos cet echange (X-MSS-MES: FIN)" in refused.value.smtp_error
        reply = _from_patient(sent["Rendez-vous"].message_id, "Re 2")
        assert client.sendmail(PATIENT, [martine_address()], reply) == {}
    assert list(Message.objects.filter(mailbox=martine, folder="inbox").values_list("subject")) == [
        ("Re 2",)
    ]


# --- test addresses -----------------------------------------------------------------


@pytest.fixture
def tester(structure_a: Structure) -> Account:
    data = factories.account_data(
        "PER", "test.martine@perso.example.org", mssante_particle="martine.dubois"
    )
    account = create_account(cli_context(), structure_a, data, is_test=True).account
    assert account.mssante_particle == "test.martine.dubois"  # the `test.` prefix, added
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    return account


def test_test_addresses_write_only_to_test_addresses_in_the_webmail(
    tester: Account, martine: Account, settings: Any
) -> None:
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:9"  # queued, never sent here
    web = client_for(user_of(tester))
    answer = web.post(
        "/messagerie/pro/nouveau/",
        {"to": "martine.dubois@ch-a.mssante.fr", "subject": "x", "send": "1"},
    )
    assert answer.status_code == 422
    assert "n'est pas une adresse de test : une boîte de test ne peut écrire" in (
        unescape(answer.content.decode())
    )
    back = client_for(user_of(martine)).post(
        "/messagerie/pro/nouveau/",
        {"to": "test.martine.dubois@ch-a.mssante.fr", "subject": "x", "send": "1"},
    )
    assert back.status_code == 422
    assert "est une adresse de test : elle ne reçoit que" in unescape(back.content.decode())
    ok = web.post(
        "/messagerie/pro/nouveau/",
        {"to": "test.dr.x@autre.mssante.fr", "subject": "x", "send": "1"},
    )
    assert ok.status_code == 302  # another operator's test address: allowed
    assert not Message.objects.filter(mailbox=martine).exists()


def test_test_addresses_are_refused_in_french_over_smtp_both_ways(
    submission: int, inbound: int, pki: Pki, tester: Account, martine: Account
) -> None:
    secret = operations.create_app_password(cli_context(), user_of(tester), "client")
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.login(tester.email, secret)
        client.mail("test.martine.dubois@ch-a.mssante.fr")
        code, text = client.rcpt("dr.x@medimail.mssante.fr")
        assert code == 550 and b"n'est pas une adresse de test" in text
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        client.mail("dr@medimail.mssante.fr")
        code, text = client.rcpt("test.martine.dubois@ch-a.mssante.fr")
        assert code == 550 and b"est une adresse de test : elle ne recoit que" in text
        client.rset()
        client.mail("test.dr@medimail.mssante.fr")
        code, text = client.rcpt(martine_address())
        assert code == 550 and b"n'est pas une adresse de test" in text
        code, _ = client.rcpt("test.martine.dubois@ch-a.mssante.fr")
        assert code == 250
    assert PEER_DOMAIN == "medimail.mssante.fr"


# --- outgoing delivery: the peer's certificate against the whitelist ---------------


def test_delivery_checks_the_peers_certificate_against_the_whitelist(
    operator: Operator, martine: Account
) -> None:
    ctx = ctx_for(user_of(martine), martine)
    operations.send_message(
        ctx, martine, mime.Draft(sender="", to=["dr.x@autre.mssante.fr"], subject="a"), space="pro"
    )
    impostor = operator.ca.issue("impostor", "mx.autre.test", ou="999", org="Imposteur")
    WhitelistDomain.objects.filter(name="autre.mssante.fr").update(operator_dn=impostor.dn)
    assert delivery.run_once().retried == 1
    row = Outbound.objects.get()
    assert "ne correspond pas à l'opérateur du domaine autre.mssante.fr" in row.last_error
    assert operator.peer.received == []
    WhitelistDomain.objects.filter(name="autre.mssante.fr").update(operator_dn=operator.cert.dn)
    Outbound.objects.update(next_attempt_at=timezone.now())
    assert delivery.run_once().sent == 1
    assert Outbound.objects.get().state == QueueState.SENT
    assert len(operator.peer.received) == 1


def test_a_whitelisted_domain_is_never_sent_without_tls(settings: Any, martine: Account) -> None:
    peer, port = Peer(), free_port()
    controller = Controller(peer, hostname="127.0.0.1", port=port)  # no STARTTLS
    controller.start()
    try:
        settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{port}"
        settings.SMTP_REQUIRE_TLS = False  # even so: between operators, TLS
        WhitelistDomain.objects.create(
            name="autre.mssante.fr", operator_dn="CN=x", loaded_at=timezone.now()
        )
        ctx = ctx_for(user_of(martine), martine)
        draft = mime.Draft(sender="", to=["dr.x@autre.mssante.fr"], subject="a")
        operations.send_message(ctx, martine, draft, space="pro")
        assert delivery.run_once().retried == 1
        assert "STARTTLS" in Outbound.objects.get().last_error
        assert peer.received == []
    finally:
        controller.stop()


def test_a_saved_draft_keeps_its_ins_and_its_closing(martine: Account) -> None:
    web = client_for(user_of(martine))
    saved = web.post(
        "/messagerie/patient/nouveau/",
        {
            "to": PATIENT,
            "subject": "Brouillon",
            "ins": INS,
            "closes_exchange": "1",
            "save_draft": "1",
        },
    )
    assert saved.status_code == 302
    draft = Message.objects.get(mailbox=martine, folder="drafts")
    page = web.get(f"/messagerie/patient/nouveau/?draft={draft.pk}").content.decode()
    assert f'value="{INS}"' in page
    assert 'name="closes_exchange" value="1" checked' in page


def test_desktop_clients_get_the_test_address_refusal_and_the_nil(
    submission: int, tester: Account, martine: Account, paul: Account, mail_home: Path
) -> None:
    """swaks and msmtp (Debian) on the submission port, the certificate verified."""
    tester_secret = operations.create_app_password(cli_context(), user_of(tester), "swaks")
    refused = clients.swaks(
        mail_home,
        submission,
        tester.email,
        tester_secret,
        "test.martine.dubois@ch-a.mssante.fr",
        martine_address(),
        "Essai",
    )
    assert refused.returncode != 0
    assert "550 5.7.1" in refused.output and "n'est pas une adresse de test" in refused.output
    secret = operations.create_app_password(cli_context(), user_of(martine), "msmtp")
    sent = clients.msmtp(
        mail_home,
        submission,
        martine.email,
        secret,
        martine_address(),
        ["paul.martin@ch-a.mssante.fr"],
        "Avis",
    )
    assert sent.returncode == 0, sent.output
    received = Message.objects.get(mailbox=paul, folder="inbox")
    assert _headers(store.read(received.path))["X-MSS-NIL"] == "Caducee-0.1.0"
