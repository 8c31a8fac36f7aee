"""Two Caducée instances with different domains exchange mail over SMTP + STARTTLS.

Instance A is this test process (its database, an in-process inbound listener); instance B
is a separate `caducee smtp` process with its own CADUCEE_HOME and SQLite database. Each
routes the other's domain to the other's loopback port. A test CA (standing for IGC-Santé)
signed both operators' certificates; each instance trusts it (CADUCEE_SMTP_TRUST_ANCHORS),
verifies the other's server certificate with it, presents its own client certificate, and
whitelists the other's domain for the other's certificate DN.
"""

from __future__ import annotations

import signal
import smtplib
import ssl
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.mail import delivery, mime, operations, smtp_server
from caducee.mail.models import Message, Outbound, QueueState, WhitelistDomain
from tests.mail.certificates import TestCA, whitelist_xml
from tests.mail.conftest import free_port, user_of
from tests.mail.instances import query, setup_peer, start_smtp, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_instances_exchange_messages(tmp_path: Path, settings: Any, martine: Account) -> None:
    ca = TestCA(tmp_path / "pki")
    cert_a = ca.issue("a", "mx.ch-a.test")  # A: one certificate, server and client
    server_b = ca.issue("b-server", "mx.autre.test")  # B: a separate client certificate
    client_b = ca.issue("b-client", "client.autre.test")
    whitelist_b = tmp_path / "whitelist-b.xml"
    whitelist_b.write_bytes(whitelist_xml({"ch-a.mssante.fr": cert_a.dn}))
    settings.SMTP_TLS_CERT, settings.SMTP_TLS_KEY = str(cert_a.cert), str(cert_a.key)
    settings.SMTP_TRUST_ANCHORS = str(ca.cert)
    # B's two certificates are both its operator's: A checks the client one on B's mail
    # and the server one when it delivers to B (delivery.py), so the whitelist lists both.
    WhitelistDomain.objects.create(
        name="autre.mssante.fr",
        operator_dn=f"{client_b.dn}\n{server_b.dn}",
        loaded_at=timezone.now(),
    )
    home_b = tmp_path / "instance-b"
    secret_b = setup_peer(home_b, "autre.mssante.fr", "dr.bernard")
    port_a, smtp_b, submission_b = free_port(), free_port(), free_port()
    inbound_a = smtp_server.inbound_controller("127.0.0.1", port_a)
    inbound_a.start()
    process = start_smtp(
        home_b,
        smtp_b,
        submission_b,
        CADUCEE_SMTP_ROUTES=f"ch-a.mssante.fr=127.0.0.1:{port_a}",
        CADUCEE_SMTP_TLS_CERT=str(server_b.cert),
        CADUCEE_SMTP_TLS_KEY=str(server_b.key),
        CADUCEE_SMTP_CLIENT_CERT=str(client_b.cert),
        CADUCEE_SMTP_CLIENT_KEY=str(client_b.key),
        CADUCEE_SMTP_TRUST_ANCHORS=str(ca.cert),
        CADUCEE_MSSANTE_WHITELIST=str(whitelist_b),
    )
    try:
        # A → B: the webmail's send, then one pass of A's queue.
        settings.SMTP_ROUTES = f"autre.mssante.fr=127.0.0.1:{smtp_b}"
        ctx = Context(user=user_of(martine), acting_as=martine)
        draft = mime.Draft(
            sender="",
            to=["dr.bernard@autre.mssante.fr"],
            subject="Adressage patient",
            body="Bonjour confrère.",
        )
        operations.send_message(ctx, martine, draft, space="pro")
        assert delivery.run_once().sent == 1
        assert Outbound.objects.get().state == QueueState.SENT
        rows = query(home_b, "SELECT subject, sender FROM mail_message WHERE folder='inbox'")
        assert len(rows) == 1 and rows[0][0] == "Adressage patient"
        assert "martine.dubois@ch-a.mssante.fr" in rows[0][1]

        # B → A: a desktop client submits to B (STARTTLS + application password);
        # B's delivery worker sends it to A over STARTTLS.
        context = ssl.create_default_context(cafile=str(ca.cert))
        with smtplib.SMTP("127.0.0.1", submission_b, timeout=20) as client:
            client.starttls(context=context)
            client.login("dr.bernard@perso.example.org", secret_b)
            client.sendmail(
                "dr.bernard@autre.mssante.fr",
                ["martine.dubois@ch-a.mssante.fr"],
                b"From: dr.bernard@autre.mssante.fr\r\nTo: martine.dubois@ch-a.mssante.fr\r\n"
                b"Subject: Re: Adressage patient\r\n\r\nBien recu.\r\n",
            )
        assert wait_for(
            lambda: Message.objects.filter(mailbox=martine, folder="inbox").exists(), 40
        )
        reply = Message.objects.get(mailbox=martine, folder="inbox")
        assert reply.subject == "Re: Adressage patient"
        # B marks its row sent after A's 250 and QUIT: wait for that commit too. A loaded
        # 2-core machine (CI) has taken more than 20 s for it, so allow 60.
        assert wait_for(lambda: query(home_b, "SELECT state FROM mail_outbound") == [("sent",)], 60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        inbound_a.stop()
