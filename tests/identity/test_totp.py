"""An authenticator app (TOTP) replacing the emailed code."""

from __future__ import annotations

import pyotp
from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity.models import LoginCode
from caducee.identity.operations import security_of
from tests.identity.conftest import Capture, password_step
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
    import time

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
    import time

    from caducee.core.context import Context
    from caducee.identity.operations import verify_second_factor

    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert verify_second_factor(Context(user=None), pierre.user, code, "totp").ok
    assert not verify_second_factor(Context(user=None), pierre.user, code, "totp").ok


def test_the_email_code_stays_available_as_fallback(
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
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/connexion/code/renvoyer/")
    assert smtp_sink.wait_for(pierre.email).subject == "Votre code de connexion Caducée"


def test_disabling_needs_a_current_code(client: Client, pierre: Account) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    secret = _enrol(client)
    client.post("/securite/application/retirer/", {"code": "000000"})
    assert security_of(pierre.user).totp_enabled
    import time

    client.post(
        "/securite/application/retirer/",
        {"code": pyotp.TOTP(secret).at(time.time() + 30)},
    )
    assert not security_of(pierre.user).totp_enabled
    assert AuditEvent.objects.filter(action="identity.totp_disabled").exists()
