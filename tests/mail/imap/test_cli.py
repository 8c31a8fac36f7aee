"""`caducee imap` alone, and `caducee serve` with IMAP on CADUCEE_IMAP, as processes."""

from __future__ import annotations

import imaplib
import subprocess
import sys
from pathlib import Path

from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, migrate, peer_env


def run_until_listening(
    home: Path, args: list[str], port: int, **env: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=peer_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for _ in range(12):
        lines.append(process.stdout.readline())
        if f"IMAP sur 127.0.0.1:{port}" in lines[-1] or not lines[-1]:
            break
    assert f"IMAP sur 127.0.0.1:{port}" in lines[-1], lines
    return process


def greets(port: int) -> None:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    assert b"IMAP4rev1" in client.capability()[1][0]
    assert client.welcome.startswith(b"* OK")
    client.logout()


def test_caducee_imap_serves_imap_alone(tmp_path: Path) -> None:
    migrate(tmp_path)
    port = free_port()
    process = run_until_listening(tmp_path, ["imap", "--imap", f"127.0.0.1:{port}"], port)
    try:
        greets(port)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def test_caducee_serve_starts_imap_on_caducee_imap(tmp_path: Path) -> None:
    migrate(tmp_path)
    port = free_port()
    process = run_until_listening(
        tmp_path,
        ["serve", "--http", f"127.0.0.1:{free_port()}"],
        port,
        CADUCEE_SMTP=f"127.0.0.1:{free_port()}",
        CADUCEE_SUBMISSION=f"127.0.0.1:{free_port()}",
        CADUCEE_IMAP=f"127.0.0.1:{port}",
    )
    try:
        greets(port)
    finally:
        process.terminate()
        process.wait(timeout=20)
