"""An authenticator app (TOTP) replacing the emailed code."""

from __future__ import annotations

import importlib
import time
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.api.tokens import issue_token, user_for_token
from caducee.audit.models import AuditEvent
from caducee.cli.main import main
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden
from caducee.identity import secret_box
from caducee.identity.models import LoginCode, Security
from caducee.identity.operations import reset_second_factor, security_of, verify_second_factor
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests.identity.conftest import Capture, full_login, password_step
from tests.smtp_sink import SmtpSink


def _enrol(client: Client) -> str:
    page = client.get("/securite/application/").content.decode()
    secret = page.split('id="totp-secret">', 1)[1].split("<", 1)[0]
    assert "otpauth://totp/" in page
    wrong = client.post("/securite/application/", {"code": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    response = client.post("/securite/application/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/securite/"
    return secret


def test_enrolment_then_login_with_the_app(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)
    assert security_of(pierre.user).totp_enabled
    client.post("/deconnexion/")
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert response["Location"] == "/connexion/code/"
    assert not LoginCode.objects.exists() and smtp_sink.to(pierre.email) == []
    page = client.get("/connexion/code/").content.decode()
    assert "application d'authentification" in page
    # the code used at enrolment cannot be replayed; wait for the next step by using it
    totp = pyotp.TOTP(secret)

    next_code = totp.at(time.time() + totp.interval)
    response = client.post("/connexion/code/", {"code": next_code})
    assert response["Location"] == "/ma-boite/"
    event = AuditEvent.objects.filter(action="identity.login").last()
    assert event is not None and event.detail == {"method": "totp"}
    assert "identity.totp_enabled" in set(AuditEvent.objects.values_list("action", flat=True))


def test_a_used_code_cannot_be_replayed(client: Client, pierre: Account) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)

    from caducee.core.context import Context
    from caducee.identity.operations import verify_second_factor

    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert verify_second_factor(Context(user=None), pierre.user, code, "totp").ok
    assert not verify_second_factor(Context(user=None), pierre.user, code, "totp").ok


def test_the_email_code_cannot_replace_the_app(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    _enrol(client)
    client.post("/deconnexion/")
    password_step(client, django_capture_on_commit_callbacks, pierre.email)
    page = client.get("/connexion/code/").content.decode()
    assert 'id="code-resend"' not in page and 'id="totp-lost"' in page
    mark = smtp_sink.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/connexion/code/renvoyer/", follow=True)
    text = response.content.decode()
    assert "le code par mail ne la remplace pas" in text
    assert "réinitialiser votre second facteur" in text
    assert smtp_sink.count() == mark and not LoginCode.objects.exists()
    # the pending login still wants the app: an emailed code could not be used anyway
    assert "affiché par votre application" in text


def test_disabling_needs_a_current_code(client: Client, pierre: Account) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)
    client.post("/securite/application/retirer/", {"code": "000000"})
    assert security_of(pierre.user).totp_enabled

    client.post(
        "/securite/application/retirer/",
        {"code": pyotp.TOTP(secret).at(time.time() + 30)},
    )
    assert not security_of(pierre.user).totp_enabled
    assert AuditEvent.objects.filter(action="identity.totp_disabled").exists()


# --- encryption at rest (security review L2) -------------------------------------------


def test_the_secret_is_encrypted_in_the_database(client: Client, pierre: Account) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)
    stored = Security.objects.get(user=pierre.user).totp_secret
    assert stored.startswith(secret_box.PREFIX) and secret not in stored
    assert secret_box.unseal(stored) == secret


def test_a_new_secret_key_keeps_working_through_the_fallbacks(
    client: Client, pierre: Account, settings: Any
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "une-nouvelle-cle-secrete-" + "x" * 40
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert not verify_second_factor(Context(user=None), pierre.user, code, "totp").ok
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert verify_second_factor(Context(user=None), pierre.user, code, "totp").ok


def test_the_migration_encrypts_secrets_stored_in_clear(pierre: Account) -> None:
    from django.apps import apps

    assert pierre.user is not None
    migration = importlib.import_module("caducee.identity.migrations.0003_sec_totp_encryption")
    clear = pyotp.random_base32()
    Security.objects.create(user=pierre.user, totp_secret=clear, totp_confirmed_at=timezone.now())
    migration.seal_clear_secrets(apps, None)
    stored = Security.objects.get(user=pierre.user).totp_secret
    assert stored.startswith(secret_box.PREFIX) and clear not in stored
    migration.seal_clear_secrets(apps, None)  # running twice changes nothing
    assert Security.objects.get(user=pierre.user).totp_secret == stored
    code = pyotp.TOTP(clear).now()
    assert verify_second_factor(Context(user=None), pierre.user, code, "totp").ok
    migration.unseal_secrets(apps, None)
    assert Security.objects.get(user=pierre.user).totp_secret == clear


# --- an admin resets a lost app ---------------------------------------------------------


def _edit_page(client: Client, account: Account) -> str:
    url = f"/console/structures/{account.structure_id}/utilisateurs/{account.pk}/"
    return client.get(url).content.decode()


def test_an_admin_resets_a_lost_app(
    client: Client,
    pierre: Account,
    alice: User,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    _enrol(client)
    token = issue_token(cli_context(), pierre.user, "script")
    admin = Client()
    admin.force_login(alice)
    assert 'id="second-factor-reset"' in _edit_page(admin, pierre)
    response = admin.post(
        f"/console/comptes/{pierre.pk}/second-facteur/reinitialiser/", follow=True
    )
    assert "est réinitialisé" in response.content.decode()
    assert not security_of(pierre.user).totp_enabled
    assert 'id="second-factor-reset"' not in _edit_page(admin, pierre)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"identity.totp_reset", "identity.access_revoked"} <= actions
    assert user_for_token(token) is None
    # the person logs in again with an emailed code
    other = Client()
    full_login(other, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    assert other.get("/securite/").status_code == 200


def test_an_admin_of_another_structure_cannot_reset_it(
    client: Client, pierre: Account, bob: User
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    _enrol(client)
    admin = Client()
    admin.force_login(bob)
    response = admin.post(f"/console/comptes/{pierre.pk}/second-facteur/reinitialiser/")
    assert response.status_code == 404
    assert security_of(pierre.user).totp_enabled


def test_the_app_of_an_admin_of_another_structure_is_reset_by_the_operator_only(
    client: Client, pierre: Account, alice: User, structure_b: Structure, operator: User
) -> None:
    assert pierre.user is not None
    StructureAdmin.objects.create(structure=structure_b, user=pierre.user)
    client.force_login(pierre.user)
    _enrol(client)
    with pytest.raises(Forbidden, match="Seul l'opérateur"):
        reset_second_factor(Context(user=alice), pierre.user)
    assert security_of(pierre.user).totp_enabled
    reset_second_factor(Context(user=operator), pierre.user)
    assert not security_of(pierre.user).totp_enabled


def test_the_cli_resets_the_app(
    client: Client, pierre: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    _enrol(client)
    assert main(["user", "reset-second-factor", "--email", pierre.email]) == 0
    assert "est retirée" in capsys.readouterr().out
    assert not security_of(pierre.user).totp_enabled
    assert main(["user", "reset-second-factor", "--email", pierre.email]) != 0
    assert "n'utilise pas d'application" in capsys.readouterr().err
