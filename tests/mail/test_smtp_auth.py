"""SMTP AUTH of the submission service: decisions (no sockets), then over loopback.

The loopback tests run the real listener in this process, without
DJANGO_ALLOW_ASYNC_UNSAFE: the database work of AUTH must happen off the event loop.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import deactivate_account
from caducee.audit.models import AuditEvent
from caducee.console.audit_labels import action_label
from caducee.core.context import cli_context
from caducee.identity import operations as identity_ops
from caducee.mail import operations, smtp_auth, smtp_server
from tests.mail.conftest import free_port, user_of

WEB_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.LOCKOUT_FREE_FAILURES = 4
    settings.LOCKOUT_THRESHOLD = 4
    settings.LOCKOUT_IP_THRESHOLD = 6
    settings.LOCKOUT_MINUTES = 15
    return settings


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_the_suite_runs_without_django_s_async_escape() -> None:
    """Production never sets it; only the browser fixture does, for its own lifetime."""
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


def test_an_application_password_authenticates_and_revocation_stops_it(martine: Account) -> None:
    user = user_of(martine)
    secret = operations.create_app_password(cli_context(), user, "Thunderbird")
    verdict = smtp_auth.authenticate(
        " Martine.Dubois@perso.example.org ", secret, "10.0.0.1", "PLAIN"
    )
    assert verdict.user == user and verdict.reply.startswith("235")
    refused = smtp_auth.authenticate(martine.email, WEB_PASSWORD, "10.0.0.1", "PLAIN")
    assert refused.user is None and refused.reply.startswith("535 5.7.8")
    operations.revoke_app_password(cli_context(), user, user.app_passwords.get().pk)
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.1", "PLAIN").user is None


def test_wrong_passwords_lock_the_login_with_one_audit_event_per_window(
    martine: Account, limits: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    caplog.set_level(logging.WARNING, logger="caducee.mail.smtp")
    for _ in range(4):
        verdict = smtp_auth.authenticate(martine.email, "devine", "10.0.0.1", "LOGIN")
        assert verdict.reply.startswith("535 5.7.8")
    # Locked: even the right password is not checked, the answer is temporary (454).
    for password in (secret, "devine", "encore"):
        verdict = smtp_auth.authenticate(martine.email, password, "10.0.0.1", "LOGIN")
        assert verdict.user is None
        assert verdict.reply.startswith("454 4.7.0 Trop de tentatives infructueuses")
        assert verdict.reply.isascii() and "15 min" in verdict.reply
    # Another address is locked too: the key is the login.
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.2", "PLAIN").user is None
    failed = _events("mail.smtp_login_failed")
    assert len(failed) == 1
    assert failed[0].target_label == martine.email and failed[0].channel == "smtp"
    assert failed[0].ip == "10.0.0.1" and failed[0].structure == martine.structure
    assert failed[0].detail["mechanism"] == "LOGIN"
    lockouts = _events("mail.smtp_lockout")
    assert len(lockouts) == 1 and lockouts[0].detail["keys"] == [f"smtp-account:{martine.email}"]
    assert action_label("mail.smtp_login_failed") != "mail.smtp_login_failed"
    assert action_label("mail.smtp_lockout") != "mail.smtp_lockout"
    logged = [r for r in caplog.records if "SMTP AUTH" in r.getMessage()]
    assert len(logged) == 8  # every attempt is logged, failed or refused
    assert all("devine" not in r.getMessage() for r in logged)


def test_the_lock_does_not_block_the_web_login(martine: Account, limits: Any) -> None:
    for _ in range(5):
        smtp_auth.authenticate(martine.email, "devine", "10.0.0.1", "PLAIN")
    assert identity_ops.login_refusal(martine.email, "10.0.0.1") is None


def test_a_success_forgets_the_login_s_earlier_failures(martine: Account, limits: Any) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    for _ in range(3):
        smtp_auth.authenticate(martine.email, "devine", "10.0.0.1", "PLAIN")
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.1", "PLAIN").user is not None
    for _ in range(3):
        smtp_auth.authenticate(martine.email, "devine", "10.0.0.2", "PLAIN")
    # 6 failures of the login in all, but 3 since the success: no wait imposed.
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.2", "PLAIN").user is not None


def test_many_logins_from_one_address_lock_the_address_without_flooding_the_journal(
    martine: Account, limits: Any
) -> None:
    limits.LOCKOUT_FREE_FAILURES = 6  # no growing delay before the address's lock
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    before = AuditEvent.objects.count()
    for n in range(6):
        verdict = smtp_auth.authenticate(f"inconnu{n}@example.org", "x", "10.0.0.9", "PLAIN")
        assert verdict.reply.startswith("535")
    for n in range(50):
        verdict = smtp_auth.authenticate(f"autre{n}@example.org", "x", "10.0.0.9", "PLAIN")
        assert verdict.reply.startswith("454")
    # Unknown logins are logged, not audited; the address's lock is one event.
    assert AuditEvent.objects.count() == before + 1
    assert _events("mail.smtp_lockout")[0].detail["keys"] == ["smtp-ip:10.0.0.9"]
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.9", "PLAIN").user is None
    assert smtp_auth.authenticate(martine.email, secret, "10.0.0.10", "PLAIN").user is not None


def test_a_deactivated_account_is_refused_at_once(martine: Account, structure_a: Any) -> None:
    user = user_of(martine)
    secret = operations.create_app_password(cli_context(), user, "client")
    deactivate_account(cli_context(), martine)
    # Deactivation revokes the application passwords (identity.revocation): plain 535.
    verdict = smtp_auth.authenticate(martine.email, secret, "10.0.0.1", "PLAIN")
    assert verdict.user is None and verdict.reply.startswith("535 5.7.8")
    assert not user.app_passwords.filter(revoked_at__isnull=True).exists()


def test_an_account_deactivated_without_revocation_is_still_refused(
    martine: Account, structure_a: Any
) -> None:
    """Accounts deactivated before revocation existed keep valid app passwords: refused too."""
    user = user_of(martine)
    secret = operations.create_app_password(cli_context(), user, "client")
    Account.objects.filter(pk=martine.pk).update(state=AccountState.DEACTIVATED)
    verdict = smtp_auth.authenticate(martine.email, secret, "10.0.0.1", "PLAIN")
    assert verdict.user is None
    assert verdict.reply == (
        "535 5.7.8 Compte desactive : adressez-vous a l'administrateur de votre structure"
    )
    assert _events("mail.smtp_login_failed")[0].detail["stage"] == "deactivated"
    # A session authenticated before the deactivation can no longer send.
    answer, mailbox = smtp_server.submission_mail_from(user, "martine.dubois@ch-a.mssante.fr")
    assert answer.startswith("550 5.7.1 Compte desactive") and mailbox is None


# --- over loopback ----------------------------------------------------------------------


def _client_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def submission(transactional_db: None, settings: Any) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.submission_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _plain(login: str, password: str) -> str:
    return base64.b64encode(f"\0{login}\0{password}".encode()).decode()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("initial_response", [True, False])
def test_auth_works_with_and_without_an_initial_response(
    submission: int, martine: Account, mechanism: str, initial_response: bool
) -> None:
    secret = operations.create_app_password(cli_context(), user_of(martine), "client")
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.ehlo()
        client.user, client.password = martine.email, secret
        method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        code, text = client.auth(mechanism, method, initial_response_ok=initial_response)
        assert code == 235, text
        assert client.mail("martine.dubois@ch-a.mssante.fr")[0] == 250
    assert user_of(martine).app_passwords.get().last_used_at is not None


def test_a_wrong_password_answers_535_then_454(
    submission: int, martine: Account, limits: Any
) -> None:
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.ehlo()
        for _ in range(4):
            code, text = client.docmd("AUTH", "PLAIN " + _plain(martine.email, "devine"))
            assert code == 535 and b"mot de passe d'application incorrect" in text
        code, text = client.docmd("AUTH", "PLAIN " + _plain(martine.email, "devine"))
        assert code == 454 and b"Trop de tentatives" in text


def test_broken_exchanges_get_one_answer_each(submission: int, martine: Account) -> None:
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as client:
        client.starttls(context=_client_tls())
        client.ehlo()
        assert client.docmd("AUTH", "PLAIN %%%")[0] == 501
        assert client.docmd("AUTH", "PLAIN " + base64.b64encode(b"no-nul").decode())[0] == 501
        assert client.docmd("AUTH", "LOGIN")[0] == 334
        assert client.docmd("*")[0] == 501
        # The session is still in step: the next command gets its own answer.
        assert client.noop()[0] == 250
        assert client.docmd("AUTH", "CRAM-MD5")[0] == 504
