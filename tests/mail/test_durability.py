"""Nothing accepted is lost: kill -9 right after 250, then find the message after restart."""

from __future__ import annotations

import os
import signal
import smtplib
from pathlib import Path

from tests.mail.conftest import free_port
from tests.mail.instances import query, setup_peer, start_smtp, trusted_sender

RAW = (
    b"From: dr@medimail.mssante.fr\r\nTo: jean.durable@durable.mssante.fr\r\n"
    b"Subject: Ne pas perdre\r\nMessage-ID: <durable-1@medimail.mssante.fr>\r\n\r\n"
    + b"Contenu important.\r\n"
    * 300
)


def test_a_message_acknowledged_with_250_survives_kill_9(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    setup_peer(home, "durable.mssante.fr", "jean.durable")
    smtp, submission = free_port(), free_port()
    trust, context = trusted_sender(tmp_path / "pki")
    process = start_smtp(home, smtp, submission, "--no-delivery", **trust)
    try:
        with smtplib.SMTP("127.0.0.1", smtp, timeout=20) as client:
            client.starttls(context=context)
            client.ehlo()
            client.mail("dr@medimail.mssante.fr")
            client.rcpt("jean.durable@durable.mssante.fr")
            code, _ = client.data(RAW)
            assert code == 250
            os.kill(process.pid, signal.SIGKILL)  # at once, no clean shutdown
    finally:
        process.kill()
        process.wait(timeout=20)
    process = start_smtp(home, smtp, submission, "--no-delivery", **trust)
    try:
        rows = query(home, "SELECT path, subject, size FROM mail_message")
        assert len(rows) == 1
        path, subject, size = rows[0]
        assert subject == "Ne pas perdre"
        stored = (home / "mail" / path).read_bytes()
        assert stored.startswith(b"Received: ") and stored.endswith(RAW)
        assert size == len(stored)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
