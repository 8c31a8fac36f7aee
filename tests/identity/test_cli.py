"""`caducee user …` commands, run in-process against the test database."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity import throttle
from caducee.identity.models import Reminder
from tests.helpers import run_cli as run
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink


def test_reset_link(capsys: pytest.CaptureFixture[str], pierre: Account) -> None:
    code, out, _ = run(capsys, "user", "reset-link", "--email", pierre.email.upper())
    assert code == 0 and "/mot-de-passe/reinitialiser/" in out
    assert AuditEvent.objects.filter(action="identity.reset_link").exists()


def test_unknown_person_is_a_french_error(capsys: pytest.CaptureFixture[str], db: None) -> None:
    code, _, err = run(capsys, "user", "reset-link", "--email", "x@example.org")
    assert code == 1 and "Aucune personne n'a l'adresse x@example.org" in err


def test_unlock(capsys: pytest.CaptureFixture[str], pierre: Account, settings: object) -> None:
    for _ in range(12):
        throttle.fail([throttle.account_key(pierre.email)])
    code, out, _ = run(capsys, "user", "unlock", "--email", pierre.email)
    assert code == 0 and "est levé" in out
    assert throttle.check([throttle.account_key(pierre.email)]) is None
    _, out, _ = run(capsys, "user", "unlock", "--email", pierre.email)
    assert "n'était pas bloqué" in out


def test_remind_and_resend(
    capsys: pytest.CaptureFixture[str],
    paula: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _, out, _ = run(capsys, "user", "last-reminder", "--structure", paula.structure.name)
    assert "Aucune relance" in out
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run(capsys, "user", "remind", "--structure", paula.structure.name)
    assert code == 0 and "1 utilisateur(s)" in out and paula.email in out
    assert Reminder.objects.get().actor_label.startswith("cli:")
    code, out, _ = run(capsys, "user", "last-reminder", "--structure", paula.structure.name)
    assert code == 0 and "Dernière relance le" in out and paula.email in out
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run(capsys, "user", "resend", "--email", paula.email)
    assert code == 0
    assert len(smtp_sink.to(paula.email)) == 2


def test_logout_everywhere(capsys: pytest.CaptureFixture[str], pierre: Account) -> None:
    code, out, _ = run(capsys, "user", "logout-everywhere", "--email", pierre.email)
    assert code == 0 and "sont fermées" in out
