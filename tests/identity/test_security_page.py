"""What the user sees (issue #17 point 5): the login page offers the methods configured
here, and « Sécurité » lists the person's methods and remembered browsers with « Retirer »
(the page and the API); each login is audited with its method."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.identity import browsers, links, totp
from caducee.identity.models import LinkPurpose, Security, TrustedBrowser
from caducee.identity.operations import enable_totp
from caducee.people.models import User
from tests.helpers import bearer_client
from tests.identity.conftest import Capture, full_login, password_step
from tests.smtp_sink import SmtpSink


def _user(account: Account) -> User:
    assert account.user is not None
    return account.user


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _login_methods(event: AuditEvent) -> str:
    return str(event.detail["method"])


# --- the login page -----------------------------------------------------------------------


def test_the_login_page_offers_what_is_configured(client: Client, db: None, settings: Any) -> None:
    settings.SMS_BACKEND = "off"
    settings.PSC_CLIENT_ID = ""
    page = client.get("/connexion/").content.decode()
    assert "envoyé par mail, ou affiché par une application" in page
    assert "SMS" not in page and "Pro Santé Connect" not in page
    settings.SMS_BACKEND = "file"
    settings.PSC_CLIENT_ID = "caducee-test"
    page = client.get("/connexion/").content.decode()
    assert "envoyé par mail ou par SMS" in page
    assert 'id="psc-login"' in page


# --- « Sécurité » -------------------------------------------------------------------------


def test_the_security_page_lists_the_methods(pierre: Account, settings: Any) -> None:
    user = _user(pierre)
    settings.SMS_BACKEND = "file"
    page = _logged_in(user).get("/securite/").content.decode()
    assert "la connexion vous demande : <strong>Code par mail</strong>" in page
    assert 'id="method-email"' in page and pierre.email in page
    assert 'id="sms-setup-link"' in page
    assert "Utiliser une application d'authentification" in page
    settings.SMS_BACKEND = "off"
    page = _logged_in(user).get("/securite/").content.decode()
    assert 'id="method-sms"' not in page


def test_sms_on_the_security_page_and_its_removal(pierre: Account, settings: Any) -> None:
    user = _user(pierre)
    settings.SMS_BACKEND = "file"
    Security.objects.update_or_create(
        user=user, defaults={"sms_number": "+33612345678", "sms_confirmed_at": timezone.now()}
    )
    client = _logged_in(user)
    page = client.get("/securite/").content.decode()
    assert "la connexion vous demande : <strong>Code par SMS</strong>" in page
    assert "par SMS au <strong>06 •• •• •• 78</strong>" in page
    assert 'id="sms-disable"' in page
    settings.SMS_BACKEND = "off"  # the gateway went away: the number stays, codes go by mail
    page = client.get("/securite/").content.decode()
    assert "<strong>Code par mail</strong>" in page and "n'envoie plus de SMS" in page
    response = client.post("/securite/sms/retirer/", follow=True)
    assert "Les codes par SMS sont retirés" in response.content.decode()
    assert not Security.objects.get(user=user).sms_number
    assert AuditEvent.objects.filter(action="identity.sms_disabled", actor=user).exists()


def test_the_app_is_named_when_enrolled(pierre: Account, settings: Any) -> None:
    user = _user(pierre)
    settings.SMS_BACKEND = "file"
    secret = totp.new_secret()
    enable_totp(Context(user=user), user, secret, pyotp.TOTP(secret).now())
    page = _logged_in(user).get("/securite/").content.decode()
    assert "<strong>Application d&#x27;authentification</strong>" in page
    assert "Votre application d'authentification remplace les codes par SMS" in page
    assert "Retirer l'application" in page


def test_each_browser_has_its_retirer_button(pierre: Account) -> None:
    user = _user(pierre)
    first, _ = browsers.create(user, "Firefox sous Linux", "127.0.0.1")
    browsers.create(user, "Chrome sous Windows", "127.0.0.2")
    client = _logged_in(user)
    page = client.get("/securite/").content.decode()
    assert page.count("Retirer ce navigateur") == 2
    response = client.post(f"/securite/navigateurs/{first.pk}/oublier/", follow=True)
    assert "Le navigateur « Firefox sous Linux » est retiré." in response.content.decode()
    page = response.content.decode()
    assert page.count("Retirer ce navigateur") == 1
    assert TrustedBrowser.objects.get(pk=first.pk).revoked_at is not None


# --- the API -------------------------------------------------------------------------------


def test_the_api_shows_and_removes_my_sms_codes(pierre: Account, settings: Any) -> None:
    user = _user(pierre)
    settings.SMS_BACKEND = "file"
    settings.PSC_CLIENT_ID = ""
    api = bearer_client(user)
    data = api.get("/api/v1/me/security").json()
    assert data["second_factor"] == "email" and not data["sms_enabled"]
    assert data["platform_methods"] == ["email", "sms", "totp"]
    response = api.delete("/api/v1/me/sms")
    assert response.status_code == 422 and "rien à retirer" in response.json()["detail"]
    Security.objects.update_or_create(
        user=user, defaults={"sms_number": "+33612345678", "sms_confirmed_at": timezone.now()}
    )
    data = api.get("/api/v1/me/security").json()
    assert data["second_factor"] == "sms" and data["sms_number"] == "06 •• •• •• 78"
    response = api.delete("/api/v1/me/sms")
    assert response.status_code == 200
    assert api.get("/api/v1/me/security").json()["second_factor"] == "email"
    event = AuditEvent.objects.get(action="identity.sms_disabled")
    assert event.actor == user and event.channel == "api"


# --- each login audited with its method ----------------------------------------------------


@pytest.mark.parametrize("method", ["email", "trusted_browser", "totp"])
def test_each_login_is_audited_with_its_method(
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
    method: str,
) -> None:
    user = _user(pierre)
    client = Client()
    if method == "email":
        full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    elif method == "trusted_browser":
        full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, True)
        client.post("/deconnexion/")
        password_step(client, django_capture_on_commit_callbacks, pierre.email)
    else:
        secret = totp.new_secret()
        enable_totp(Context(user=user), user, secret, pyotp.TOTP(secret).now())
        password_step(client, django_capture_on_commit_callbacks, pierre.email)
        next_step = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment's code is used
        client.post("/connexion/code/", {"code": next_step})
    assert "_auth_user_id" in client.session
    event = AuditEvent.objects.filter(action="identity.login").order_by("-seq").first()
    assert event is not None and event.actor == user
    assert _login_methods(event) == method


# --- the finalisation page -----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["off", "file"])
def test_the_finalisation_page_mentions_sms_only_when_offered(
    paula: Account, settings: Any, backend: str
) -> None:
    settings.SMS_BACKEND = backend
    assert paula.user is not None
    Account.objects.filter(pk=paula.pk).update(phone1="0712345678")
    token = links.issue(LinkPurpose.FINALISE, paula.user, days=30)
    page = Client().get(f"/finaliser/{token}/").content.decode()
    if backend == "off":
        assert 'id="sms-activation"' not in page
    else:
        assert "vous pourrez le recevoir par SMS au 07 •• •• •• 78" in page
