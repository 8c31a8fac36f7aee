"""Real mail clients on loopback against a separate Caducée instance: smtplib, msmtp, swaks.

msmtp and swaks are Debian's (`make mailtools` installs them); each verifies the instance's
self-signed certificate (`CADUCEE_HOME/tls/smtp-selfsigned.crt`) after STARTTLS.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.mail.instances import ROOT, peer_env


def certificate(home: Path) -> Path:
    return home / "tls" / "smtp-selfsigned.crt"


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} manque : lancez `make mailtools` (apt-get install {name})"
    return found


def setup_instance(home: Path, mode: str, domain: str, **env: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.mail.submission_setup", mode, domain],
        cwd=ROOT,
        env=peer_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def message(sender: str, to: str, subject: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n"
    ).encode()


def smtplib_auth(
    home: Path, port: int, login: str, secret: str, mechanism: str, initial_response: bool
) -> tuple[int, bytes | str]:
    """AUTH with Python's smtplib after STARTTLS (the certificate verified)."""
    context = ssl.create_default_context(cafile=str(certificate(home)))
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.starttls(context=context)
        client.ehlo()
        client.user, client.password = login, secret
        method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        try:
            return client.auth(mechanism, method, initial_response_ok=initial_response)
        except smtplib.SMTPAuthenticationError as exc:
            return exc.smtp_code, exc.smtp_error


@dataclass
class Sent:
    returncode: int
    output: str


def msmtp(
    home: Path,
    port: int,
    login: str,
    secret: str,
    sender: str,
    recipients: list[str],
    subject: str,
    *,
    auth: str = "plain",
) -> Sent:
    """Send one message with msmtp (STARTTLS, trusting the instance's certificate)."""
    config = home / f"msmtprc-{auth}"
    config.write_text(
        "defaults\n"
        "tls on\n"
        "tls_starttls on\n"
        f"tls_trust_file {certificate(home)}\n"
        "account caducee\n"
        "host 127.0.0.1\n"
        f"port {port}\n"
        f"auth {auth}\n"
        f"user {login}\n"
        f"password {secret}\n"
        f"from {sender}\n"
        "account default : caducee\n"
    )
    config.chmod(0o600)  # msmtp refuses a password file others can read
    done = subprocess.run(
        [tool("msmtp"), "-C", str(config), "-a", "default", *recipients],
        input=message(sender, ", ".join(recipients), subject),
        capture_output=True,
        timeout=60,
    )
    return Sent(done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace"))


def swaks(
    home: Path,
    port: int,
    login: str,
    secret: str,
    sender: str,
    recipient: str,
    subject: str,
    *,
    auth: str = "PLAIN",
) -> Sent:
    """Send one message with swaks (STARTTLS, certificate verified)."""
    done = subprocess.run(
        [
            tool("swaks"),
            "--server",
            "127.0.0.1",
            "--port",
            str(port),
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            str(certificate(home)),
            "--auth",
            auth,
            "--auth-user",
            login,
            "--auth-password",
            secret,
            "--from",
            sender,
            "--to",
            recipient,
            "--header",
            f"Subject: {subject}",
            "--body",
            "Bonjour.",
        ],
        capture_output=True,
        timeout=60,
    )
    return Sent(done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace"))
