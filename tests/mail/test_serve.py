"""`caducee serve` also runs the SMTP services (own home, random loopback ports)."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, peer_env


def test_serve_runs_http_smtp_and_submission(tmp_path: Path) -> None:
    http, smtp, submission = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", "serve", "--http", f"127.0.0.1:{http}"],
        cwd=ROOT,
        env=peer_env(
            tmp_path, CADUCEE_SMTP=f"127.0.0.1:{smtp}", CADUCEE_SUBMISSION=f"127.0.0.1:{submission}"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for _ in range(8):  # the SMTP line follows the HTTP address and the setup link
            lines.append(process.stdout.readline())
            if f"127.0.0.1:{smtp}" in lines[-1] or not lines[-1]:
                break
        assert f"127.0.0.1:{smtp}" in lines[-1], lines
        with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("starttls") and not client.has_extn("auth")
        with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("starttls")
        status = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http}/connexion/", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.2)
        assert status == 200
        assert (tmp_path / "tls" / "smtp-selfsigned.crt").exists()
    finally:
        process.terminate()
        process.wait(timeout=20)
