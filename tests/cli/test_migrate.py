"""`caducee migrate`: applies the pending migrations, in French, and lets the roles start."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from caducee.cli.main import main
from tests.cli.test_schema import caducee
from tests.mail.conftest import free_port
from tests.mail.instances import start_smtp
from tests.mail.test_serve import start_serve


def test_migrate_applies_once_then_says_up_to_date(tmp_path: Path) -> None:
    check = caducee(tmp_path, "migrate", "--check")
    assert check.returncode == 1 and "lancez « caducee migrate »" in check.stderr
    first = caducee(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "appliquée : mail.0001_initial" in first.stdout
    assert "Base de données à jour" in first.stdout
    again = caducee(tmp_path, "migrate")
    assert again.returncode == 0
    assert "déjà à jour : aucune migration à appliquer" in again.stdout
    assert caducee(tmp_path, "migrate", "--check").returncode == 0
    listed = caducee(tmp_path, "structure", "list")
    assert listed.returncode == 0 and "Aucune structure" in listed.stdout


def test_after_migrate_serve_and_smtp_start(tmp_path: Path) -> None:
    assert caducee(tmp_path, "migrate").returncode == 0
    http, smtp, submission = free_port(), free_port(), free_port()
    process = start_serve(tmp_path, http, smtp, submission)
    try:
        with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
            assert client.ehlo()[0] == 250
    finally:
        process.terminate()
        process.wait(timeout=30)
    smtp = free_port()
    process = start_smtp(tmp_path, smtp, free_port(), "--no-delivery")
    try:
        with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
            assert client.ehlo()[0] == 250
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("command", ["migrate", "serve", "smtp", "web"])
def test_help_of_each_role(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: caducee {command}")
    assert "--help" in out


def test_help_of_migrate_and_web_say_what_they_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["migrate", "--help"])
    assert "seule commande qui modifie le schéma" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["web", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "gunicorn" in out and "--embedded" in out and "CADUCEE_WEB_WORKERS" in out
