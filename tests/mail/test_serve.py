"""`caducee serve` also runs the SMTP services (own home, random loopback ports)."""

from __future__ import annotations

import re
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.mail.clients import msmtp, setup_instance, smtplib_auth
from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, migrate, peer_env
from tests.smtp_sink import SmtpSink, code_in, url_in
from tests.web_client import Page, WebClient, text_of

NEW = "une phrase de passe pour Caducée"


def test_serve_runs_http_smtp_and_submission(tmp_path: Path) -> None:
    http, smtp, submission = free_port(), free_port(), free_port()
    migrate(tmp_path)
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


def start_serve(home: Path, http: int, smtp: int, submission: int, **env: str) -> Any:
    """`caducee serve` in its own process; returns once the SMTP services listen."""
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", "serve", "--http", f"127.0.0.1:{http}"],
        cwd=ROOT,
        env=peer_env(
            home,
            CADUCEE_SMTP=f"127.0.0.1:{smtp}",
            CADUCEE_SUBMISSION=f"127.0.0.1:{submission}",
            **env,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    for _ in range(8):  # the SMTP line follows the HTTP address and the setup link
        lines.append(process.stdout.readline())
        if f"127.0.0.1:{smtp}" in lines[-1] or not lines[-1]:
            break
    assert f"127.0.0.1:{smtp}" in lines[-1], lines
    return process


def log_in(web: WebClient, sink: SmtpSink, email: str, password: str) -> Page:
    """The login form, then the one-time code that really arrived by email."""
    mark = sink.count()
    page = web.submit(web.get("/connexion/"), "password", email=email, password=password)
    assert page.status == 200 and "/connexion/code/" in page.url, text_of(page.html)
    received = sink.wait_for(
        email, since=mark, match=lambda m: "code de connexion" in m.subject.lower(), timeout=30
    )
    page = web.submit(page, "code", code=code_in(received))
    assert page.status == 200 and "/connexion/" not in page.url, text_of(page.html)
    return page


def test_journey_finalise_app_password_msmtp_then_webmail(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    """A new user, as in production: finalise the account from the emailed link, create an
    application password, send with msmtp (STARTTLS, AUTH), read it in the recipient's
    webmail. All against `caducee serve` in its own process (no Django async escape)."""
    http, smtp, submission = free_port(), free_port(), free_port()
    relay = {"CADUCEE_EMAIL_HOST": smtp_sink.host, "CADUCEE_EMAIL_PORT": str(smtp_sink.port)}
    martine = "martine.dubois@perso.example.org"
    who = setup_instance(tmp_path, "journey", "ch-a.mssante.fr", **relay)
    process = start_serve(tmp_path, http, smtp, submission, **relay)
    try:
        base = f"http://127.0.0.1:{http}"
        link = url_in(smtp_sink.wait_for(martine, timeout=30))
        web = WebClient(base)
        page = web.get(base + "/" + link.split("://", 1)[1].split("/", 1)[1])
        assert "Finalisez votre compte" in page.html, text_of(page.html)
        page = web.submit(page, "cgu", password=NEW, confirm=NEW, phone1="0612345678")
        assert "Votre compte est finalisé" in text_of(page.html), text_of(page.html)

        log_in(web, smtp_sink, martine, NEW)
        page = web.get("/messagerie/mots-de-passe-application/")
        page = web.submit(page, "label", label="msmtp du cabinet")
        found = re.search(r'<code id="app-password">([^<]+)</code>', page.html)
        assert found, text_of(page.html)
        secret = found.group(1)
        shown = text_of(page.html)
        assert f"Serveur 127.0.0.1 Port {submission} Sécurité de la connexion STARTTLS" in shown
        assert f"Identifiant {martine}" in shown

        sent = msmtp(
            tmp_path,
            submission,
            martine,
            secret,
            "martine.dubois@ch-a.mssante.fr",
            ["paul.martin@ch-a.mssante.fr"],
            "Compte rendu envoye par msmtp",
        )
        assert sent.returncode == 0, sent.output

        paul = WebClient(base)
        log_in(paul, smtp_sink, who["paul"], PASSWORD)
        inbox = text_of(paul.get("/messagerie/").html)
        assert "Compte rendu envoye par msmtp" in inbox
        assert "martine.dubois@ch-a.mssante.fr" in inbox or "DUPONT" in inbox
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "SynchronousOnlyOperation" not in output and "Traceback" not in output, output


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_serve_accepts_auth_with_and_without_an_initial_response(
    tmp_path: Path, mechanism: str
) -> None:
    who = setup_instance(tmp_path, "clients", "ch-a.mssante.fr")
    http, smtp, submission = free_port(), free_port(), free_port()
    process = start_serve(tmp_path, http, smtp, submission)
    try:
        for initial in (True, False):
            code, text = smtplib_auth(
                tmp_path, submission, who["martine"], who["martine_secret"], mechanism, initial
            )
            assert code == 235, (initial, text)
        code, text = smtplib_auth(tmp_path, submission, who["martine"], "faux", mechanism, True)
        assert code == 535
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "SynchronousOnlyOperation" not in output and "Traceback" not in output, output
