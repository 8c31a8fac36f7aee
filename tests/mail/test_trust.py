"""The inbound MTA accepts mail only from whitelisted operators over mutual TLS.

A real server on 127.0.0.1 and real TLS clients (smtplib with an SSLContext loading a client
certificate) made by a test CA (tests/mail/certificates.py), standing for IGC-Santé.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.config import ConfigError
from caducee.core.context import cli_context
from caducee.mail import mime, smtp_server, trust, whitelist
from caducee.mail.models import Message, WhitelistDomain
from tests.mail.certificates import TestCA, whitelist_xml
from tests.mail.conftest import PEER_DOMAIN, Pki, free_port
from tests.mail.instances import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MARTINE = "martine.dubois@ch-a.mssante.fr"


def raw(sender: str, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in extra)
    return (
        f"From: {sender}\r\n{head}To: {MARTINE}\r\nSubject: Resultats - urgent\r\n\r\n"
        "Merci de me renvoyer le dossier complet.\r\n"
    ).encode()


@pytest.fixture
def inbound(settings: Any, pki: Pki) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def mail_from(port: int, context: ssl.SSLContext | None, sender: str) -> tuple[int, bytes]:
    """The answer to MAIL FROM, after STARTTLS with `context` (None: in clear)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("peer.example")
        if context is not None:
            client.starttls(context=context)
            client.ehlo("peer.example")
        return client.mail(sender)


def data(port: int, context: ssl.SSLContext, sender: str, message: bytes) -> tuple[int, bytes]:
    """MAIL FROM accepted, RCPT to Martine, then the answer to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.starttls(context=context)
        client.ehlo("peer.example")
        assert client.mail(sender)[0] == 250
        assert client.rcpt(MARTINE)[0] == 250
        return client.data(message)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_whitelisted_operator_with_its_certificate_is_accepted(
    inbound: int, pki: Pki, martine: Account
) -> None:
    code, _ = data(inbound, pki.client(), "dr@medimail.mssante.fr", raw("dr@medimail.mssante.fr"))
    assert code == 250
    row = Message.objects.get(mailbox=martine)
    assert row.subject == "Resultats - urgent"


def test_the_review_probe_in_clear_text_is_refused_and_logged(
    inbound: int, martine: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """H1's probe: no STARTTLS, no certificate, a colleague's address of the same domain."""
    caplog.set_level(logging.WARNING, "caducee.mail.smtp")
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.ehlo("attacker.example")
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            client.sendmail("x@attacker.example", [MARTINE], raw("paul.martin@ch-a.mssante.fr"))
    assert info.value.smtp_code == 530 and info.value.smtp_error.startswith(b"5.7.0 ")
    assert b"STARTTLS" in info.value.smtp_error
    assert Message.objects.count() == 0
    assert any("inbound MAIL refused: 530 5.7.0" in line for line in refusals(caplog))


def test_tls_without_a_client_certificate_is_refused(inbound: int, martine: Account) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    code, text = mail_from(inbound, context, "dr@medimail.mssante.fr")
    assert code == 530 and text.startswith(b"5.7.0 Certificat client exige")


def test_a_domain_outside_the_whitelist_is_refused(
    inbound: int, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "caducee.mail.smtp")
    code, text = mail_from(inbound, pki.client(), "x@attacker.example")
    assert code == 550 and text.startswith(b"5.7.1 ")
    assert b"attacker.example n'est pas dans la liste blanche" in text
    [line] = refusals(caplog)
    assert "medimail-test.mipih.fr" in line and "x@attacker.example" in line


def test_a_certificate_from_another_ca_fails_the_handshake(
    inbound: int, tmp_path: Path, martine: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "caducee.mail.smtp")
    rogue = TestCA(tmp_path / "rogue", "AC pirate")
    # Same subject as the whitelisted operator: only the chain differs.
    forged = rogue.issue("forged", "medimail-test.mipih.fr", ou="318310021300028", org="GIP MIPIH")
    with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionError)):
        mail_from(inbound, forged.client_context(), "dr@medimail.mssante.fr")
    assert Message.objects.count() == 0
    assert wait_for(lambda: any("STARTTLS failed" in line for line in refusals(caplog)), 10)


def test_a_certificate_with_another_subject_is_refused(inbound: int, pki: Pki) -> None:
    other = pki.ca.issue("other", "mss.autre-operateur.fr", org="AUTRE OPERATEUR")
    code, text = mail_from(inbound, other.client_context(), "dr@medimail.mssante.fr")
    assert code == 550 and text.startswith(b"5.7.1 Le certificat client ne correspond pas")


def test_the_platform_own_domain_is_refused_as_envelope_sender(
    inbound: int, pki: Pki, martine: Account
) -> None:
    code, text = mail_from(inbound, pki.client(), "paul.martin@ch-a.mssante.fr")
    assert code == 550 and b"5.7.1 Le domaine ch-a.mssante.fr appartient a cette plateforme" in text


def test_the_platform_own_domain_is_refused_in_the_from_header(
    inbound: int, pki: Pki, martine: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "caducee.mail.smtp")
    message = raw("Dr Paul MARTIN <paul.martin@ch-a.mssante.fr>")
    code, text = data(inbound, pki.client(), "dr@medimail.mssante.fr", message)
    assert code == 550 and b"5.7.1 Le domaine ch-a.mssante.fr appartient" in text
    assert Message.objects.count() == 0
    assert any("inbound DATA refused" in line for line in refusals(caplog))


def test_from_and_sender_headers_must_belong_to_the_same_operator(
    inbound: int, pki: Pki, martine: Account
) -> None:
    other = pki.ca.issue("other", "mss.autre-operateur.fr", org="AUTRE OPERATEUR")
    WhitelistDomain.objects.create(
        name="autre.mssante.fr", operator_dn=other.dn, loaded_at=timezone.now()
    )
    client, sender = pki.client(), "dr@medimail.mssante.fr"
    # whitelisted, but served by another operator than the one connected
    assert data(inbound, client, sender, raw("dr@autre.mssante.fr"))[0] == 550
    assert data(inbound, client, sender, raw(sender, "Sender: x@autre.mssante.fr"))[0] == 550
    assert data(inbound, client, sender, raw("x@gmail.com"))[0] == 550
    two_froms = raw(sender, f"From: Direction <direction@{PEER_DOMAIN}>")
    code, text = data(inbound, client, sender, two_froms)
    assert code == 550 and b"exactement un en-tete From" in text
    assert Message.objects.count() == 0
    assert data(inbound, client, sender, raw(sender, f"Sender: sec@{PEER_DOMAIN}"))[0] == 250


def test_a_bounce_with_the_null_sender_is_checked_on_its_from_header(
    inbound: int, pki: Pki, martine: Account
) -> None:
    bounce = raw(f"MAILER-DAEMON@{PEER_DOMAIN}")
    assert data(inbound, pki.client(), "", bounce)[0] == 250
    assert data(inbound, pki.client(), "", raw("MAILER-DAEMON@ch-a.mssante.fr"))[0] == 550


def test_without_trust_anchors_inter_operator_mail_waits(
    settings: Any, pki: Pki, martine: Account
) -> None:
    """`make run` starts without certificates; the inbound port then refuses (4.7.0, the
    sender keeps the message and retries) until CADUCEE_SMTP_TRUST_ANCHORS is set."""
    settings.SMTP_TRUST_ANCHORS = ""
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    try:
        code, text = mail_from(port, pki.client(), "dr@medimail.mssante.fr")
    finally:
        controller.stop()
    assert code == 454 and text.startswith(b"4.7.0 ")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_older_than_1_2_is_refused_by_the_server(
    inbound: int, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "caducee.mail.smtp")
    context = pki.client()
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer TLS 1.1
    context.minimum_version = ssl.TLSVersion.TLSv1_1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionError)):
        mail_from(inbound, context, "dr@medimail.mssante.fr")
    assert wait_for(lambda: any("STARTTLS failed" in line for line in refusals(caplog)), 10)
    [line] = [line for line in refusals(caplog) if "STARTTLS failed" in line]
    assert "UNSUPPORTED_PROTOCOL" in line, line


def test_an_operator_with_several_certificates_is_accepted_with_each(
    tmp_path: Path, settings: Any, pki: Pki, martine: Account
) -> None:
    """The national whitelist lists a domain once per certificate of its operator."""
    second = pki.ca.issue("second", "smtp-2.mipih.fr", org="GIP MIPIH")
    xml = whitelist_xml({PEER_DOMAIN: pki.peer.dn}).replace(
        b"</ListeDomaines>",
        f"<Domaine><Nom>{PEER_DOMAIN}</Nom><DNCertificatOperateur>{second.dn}"
        "</DNCertificatOperateur></Domaine></ListeDomaines>".encode(),
    )
    path = tmp_path / "listeblanchemssante.xml"
    path.write_bytes(xml)
    assert whitelist.refresh(cli_context(), str(path)) == 1
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    try:
        for issued in (pki.peer, second):
            assert mail_from(port, issued.client_context(), f"x@{PEER_DOMAIN}")[0] == 250
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("written", "same"),
    [
        ("CN=mss.op.fr,OU=123,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR", True),
        ("C=FR, ST=Haute-Garonne (31), O=GIP  MIPIH, OU=123, CN=MSS.OP.FR", True),
        ("/C=FR/ST=Haute-Garonne (31)/O=GIP MIPIH/OU=123/CN=mss.op.fr", True),
        ("cn = mss.op.fr ; ou=123 ; o=gip mipih ; st=haute-garonne (31) ; c=fr", True),
        ("CN=mss.op.fr,OU=123,O=GIP MIPIH,C=FR", False),  # an attribute missing
        ("CN=mss.op.fr,OU=124,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR", False),
    ],
)
def test_distinguished_names_compare_in_any_order_spacing_and_case(
    written: str, same: bool
) -> None:
    reference = trust.dn_key("CN=mss.op.fr,OU=123,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR")
    assert (trust.dn_key(written) == reference) is same


def test_escaped_and_unreadable_distinguished_names() -> None:
    assert trust.dn_key(r"CN=a\,b,O=X") == trust.dn_key('O=x,CN="a,b"')
    assert trust.dn_key("pas un DN") is None
    assert trust.dn_key("XYZ=1") is None


def test_unreadable_trust_anchors_stop_the_start_with_a_french_message(
    settings: Any, tmp_path: Path
) -> None:
    settings.SMTP_TRUST_ANCHORS = str(tmp_path / "absent.pem")
    with pytest.raises(ConfigError, match=r"CADUCEE_SMTP_TRUST_ANCHORS : fichier .* illisible"):
        smtp_server.inbound_controller("127.0.0.1", free_port())


@pytest.mark.parametrize(
    "data",
    [
        b"From: a@b.fr\r\nSubject: x\r\n\r\nFrom: c@d.fr\r\n",
        b"From: a@b.fr\nSender: s@b.fr\n\nFrom: c@d.fr\n",
        b"From: a@b.fr\r\nSubject: x\r\n",  # no body
        b"\r\nFrom: c@d.fr\r\n\r\n",  # no header
        b"From: a@b.fr\r\nnot a header line\r\nFrom: c@d.fr\r\n\r\nbody\r\n",
        b"From: a@b.fr\r\n\nFrom: c@d.fr\r\n\r\n",
        b"From: a@b.fr\r\n (folded)\r\n\r\nFrom: c@d.fr\r\n",
    ],
)
def test_the_header_check_reads_the_same_headers_as_a_whole_parse(data: bytes) -> None:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    whole = BytesHeaderParser(policy=compat32).parsebytes(data)
    block = BytesHeaderParser(policy=compat32).parsebytes(mime.header_block(data)[0])
    assert block.items() == whole.items()
