"""SMTP recipient lookup on a shared domain (issue #16, point 4): a real SMTP client over
loopback writes to particle@shared-domain and reaches the right structure's mailbox."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.core.context import cli_context
from caducee.mail import addresses, smtp_server
from caducee.mail.models import Message
from caducee.structures.operations import declare_domain
from tests import factories
from tests.mail.conftest import Pki, free_port, person

pytestmark = pytest.mark.django_db(transaction=True)
SHARED = "pharmacien.oc.mssante.fr"


def raw(to: str) -> bytes:
    return (
        f"From: Dr Expéditeur <dr@medimail.mssante.fr>\r\nTo: {to}\r\n"
        "Subject: Ordonnance\r\n\r\nBonjour.\r\n"
    ).encode()


@pytest.fixture
def inbound(settings: Any, pki: Pki) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def test_a_message_to_a_shared_domain_reaches_the_right_structure(inbound: int, pki: Pki) -> None:
    declare_domain(cli_context(), SHARED, shared=True)
    declare_domain(cli_context(), "medimail-libre.mssante.fr", shared=True)  # no structure yet
    centre = factories.make_structure("Pharmacie du Centre", domain=SHARED)
    gare = factories.make_structure("Pharmacie de la Gare", domain=SHARED)
    centre_box = person(centre, "pharmacie.du.centre.81000.albi", "ORG")
    gare_box = person(gare, "pharmacie.de.la.gare.81000.albi", "ORG")
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        for box in (centre_box, gare_box):
            address = f"{box.mssante_particle}@{SHARED}"
            client.sendmail("dr@medimail.mssante.fr", [address.upper()], raw(address))
        client.mail("dr@medimail.mssante.fr")
        code, text = client.rcpt(f"inconnu@{SHARED}")  # ours, no such mailbox: 5.1.1
        assert code == 550 and b"5.1.1" in text
        code, text = client.rcpt("contact@medimail-libre.mssante.fr")  # declared, unused
        assert code == 550 and b"5.1.1" in text
    centre_mail = Message.objects.get(mailbox=centre_box)
    gare_mail = Message.objects.get(mailbox=gare_box)
    assert centre_mail.subject == gare_mail.subject == "Ordonnance"
    assert Message.objects.count() == 2
    assert addresses.inbound_mailbox(f"pharmacie.de.la.gare.81000.albi@{SHARED}") == (
        gare_box.pk,
        "ORG",
    )


def test_a_peer_may_not_claim_a_shared_domain_as_its_sender(inbound: int, pki: Pki) -> None:
    declare_domain(cli_context(), SHARED, shared=True)
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        client.ehlo()
        code, _ = client.mail(f"faux@{SHARED}")
        assert code >= 500
