"""Login codes by SMS (issue #17 point 4): numbers, the gateways (a real HTTP gateway on
loopback, the file outbox), the login with an SMS code, the failover to email, the rate
limits, and confirming or removing a mobile."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.errors import Invalid
from caducee.identity import codes, sms, totp
from caducee.identity.models import CodePurpose, Security
from caducee.identity.operations import (
    disable_sms,
    enable_sms,
    enable_totp,
    send_login_code,
    start_sms_setup,
)
from caducee.people.models import User
from tests.identity.conftest import Capture, password_step
from tests.identity.sms_gateway import Gateway, configure, running
from tests.smtp_sink import SmtpSink, code_in

MOBILE = "+33612345678"


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    with running() as gateway:
        configure(settings, gateway)
        yield gateway


def _user(account: Account) -> User:
    assert account.user is not None
    return account.user


def _with_sms(user: User, number: str = MOBILE) -> None:
    Security.objects.update_or_create(
        user=user, defaults={"sms_number": number, "sms_confirmed_at": timezone.now()}
    )


def _event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, f"no {action} event"
    return event


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0612345678", MOBILE),
        ("06 12 34 56 78", MOBILE),
        ("06.12.34.56.78", MOBILE),
        ("+33 6 12 34 56 78", MOBILE),
        ("0033612345678", MOBILE),
        ("07 00 00 00 01", "+33700000001"),
        ("+590 690 12 34 56", "+590690123456"),
        ("0145678901", ""),  # a landline
        ("+33145678901", ""),
        ("06123", ""),
        ("pas un numéro", ""),
        ("", ""),
    ],
)
def test_mobile_numbers_are_normalised(typed: str, expected: str) -> None:
    assert sms.normalise(typed) == expected


def test_pages_show_only_the_last_two_digits() -> None:
    assert sms.masked(MOBILE) == "06 •• •• •• 78"
    assert sms.masked("+590690123456") == "+59 •• 56"


# --- gateways ------------------------------------------------------------------------------


def test_the_http_gateway_gets_the_documented_json(gateway: Gateway) -> None:
    sent = sms.send(MOBILE, "Caducée : votre code de connexion est 123456")
    [received] = gateway.to(MOBILE)
    assert received.headers["Authorization"] == "Bearer jeton-passerelle-sms-de-test"
    assert received.headers["Content-Type"] == "application/json"
    assert received.body == {
        "to": MOBILE,
        "text": "Caducée : votre code de connexion est 123456",
        "sender": "Caducee",
        "reference": sent.reference,
    }
    assert sent.backend == "http" and sent.gateway_id == "msg-1"


@pytest.mark.parametrize("status", [401, 500, 503])
def test_an_error_answer_is_a_failure(gateway: Gateway, settings: Any, status: int) -> None:
    gateway.status = status
    with pytest.raises(sms.Failed, match=f"HTTP {status}"):
        sms.send(MOBILE, "x")


def test_a_wrong_token_is_refused_by_the_gateway(gateway: Gateway, settings: Any) -> None:
    settings.SMS_TOKEN = "mauvais"
    with pytest.raises(sms.Failed, match="HTTP 401"):
        sms.send(MOBILE, "x")


def test_a_slow_gateway_times_out(gateway: Gateway) -> None:
    gateway.delay = 2.5  # the timeout is 1 s
    with pytest.raises(sms.Failed, match="unreachable"):
        sms.send(MOBILE, "x")


def test_a_stopped_gateway_is_a_failure(gateway: Gateway) -> None:
    gateway.stop()
    with pytest.raises(sms.Failed, match="unreachable"):
        sms.send(MOBILE, "x")


def test_the_file_outbox_keeps_one_private_json_file_per_sms(settings: Any, tmp_path: Path) -> None:
    settings.SMS_BACKEND = "file"
    settings.SMS_OUTBOX = tmp_path / "sms-outbox"
    sent = sms.send(MOBILE, "Caducée : code 654321")
    [path] = list((tmp_path / "sms-outbox").iterdir())
    assert path.name.endswith(f"{sent.reference}.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["text"] == "Caducée : code 654321"


def test_the_backend_setting(settings: Any) -> None:
    settings.SMS_BACKEND = "off"
    assert not sms.enabled()
    settings.SMS_BACKEND, settings.SMS_URL = "http", ""
    assert sms.backend() == "off"  # nowhere to post
    settings.SMS_URL = "https://sms.example.test/send"
    assert sms.backend() == "http"
    settings.SMS_BACKEND = "file"
    assert sms.enabled()
    settings.SMS_BACKEND = "off"
    with pytest.raises(sms.Failed):
        sms.send(MOBILE, "x")


# --- login with an SMS code ---------------------------------------------------------------


def test_login_with_the_sms_code(
    client: Client, pierre: Account, gateway: Gateway, smtp_sink: SmtpSink, capture: Capture
) -> None:
    user = _user(pierre)
    _with_sms(user)
    mark = smtp_sink.count()
    response = password_step(client, capture, pierre.email)
    assert response["Location"] == "/connexion/code/"
    page = client.get("/connexion/code/").content.decode()
    assert "envoyé par SMS au <strong>06 •• •• •• 78</strong>" in page
    assert 'id="code-by-email"' in page
    code = gateway.last_code(MOBILE)
    assert smtp_sink.count() == mark  # no email
    with capture(execute=True):
        response = client.post("/connexion/code/", {"code": code})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    sent = _event("identity.code_sent").detail
    assert sent["channel"] == "sms" and sent["to"] == "06 •• •• •• 78"
    assert sent["gateway_id"] == "msg-1" and sent["backend"] == "http"
    assert _event("identity.login").detail == {"method": "sms"}


@pytest.mark.parametrize("fault", ["status", "timeout", "down"])
def test_the_code_goes_by_email_when_the_sms_fails(
    client: Client,
    pierre: Account,
    gateway: Gateway,
    smtp_sink: SmtpSink,
    capture: Capture,
    fault: str,
) -> None:
    user = _user(pierre)
    _with_sms(user)
    if fault == "status":
        gateway.status = 502
    elif fault == "timeout":
        gateway.delay = 2.5
    else:
        gateway.stop()
    mark = smtp_sink.count()
    password_step(client, capture, pierre.email)
    page = client.get("/connexion/code/").content.decode()
    assert "L'envoi du SMS a échoué : le code de connexion vous a été envoyé par mail" in page
    code = code_in(smtp_sink.wait_for(pierre.email, since=mark))
    with capture(execute=True):
        client.post("/connexion/code/", {"code": code})
    assert "_auth_user_id" in client.session
    sent = _event("identity.code_sent").detail
    assert sent["channel"] == "email" and sent["sms_failed"]
    assert _event("identity.login").detail == {"method": "email"}


def test_one_rate_limit_for_sms_and_email_codes(
    client: Client, pierre: Account, gateway: Gateway, smtp_sink: SmtpSink, capture: Capture
) -> None:
    user = _user(pierre)
    _with_sms(user)
    password_step(client, capture, pierre.email)
    first = gateway.last_code(MOBILE)
    # A second password step within the minute: no new SMS, the first code still works.
    client2 = Client()
    password_step(client2, capture, pierre.email)
    assert len(gateway.to(MOBILE)) == 1
    assert 'id="code-reused"' in client2.get("/connexion/code/").content.decode()
    # « Recevoir un nouveau code » and « … par mail » wait for the same minute.
    mark = smtp_sink.count()
    with capture(execute=True):
        client.post("/connexion/code/renvoyer/", {"canal": "mail"})
    assert smtp_sink.count() == mark and len(gateway.to(MOBILE)) == 1
    # Wrong codes are counted as for emailed codes (5 tries, then the login throttle).
    wrong = "000000" if first != "000000" else "111111"
    for _ in range(2):
        response = client.post("/connexion/code/", {"code": wrong})
    assert "Il vous reste 3 essais." in response.content.decode()
    with capture(execute=True):
        client.post("/connexion/code/", {"code": first})
    assert "_auth_user_id" in client.session


def test_the_code_by_email_on_request(
    client: Client, pierre: Account, gateway: Gateway, smtp_sink: SmtpSink, capture: Capture
) -> None:
    user = _user(pierre)
    _with_sms(user)
    password_step(client, capture, pierre.email)
    LoginCodeAge.backdate(user)
    mark = smtp_sink.count()
    with capture(execute=True):
        client.post("/connexion/code/renvoyer/", {"canal": "mail"})
    code = code_in(smtp_sink.wait_for(pierre.email, since=mark))
    assert len(gateway.to(MOBILE)) == 1  # only the first SMS
    page = client.get("/connexion/code/").content.decode()
    assert f"Un nouveau code a été envoyé à {pierre.email}" in page
    with capture(execute=True):
        client.post("/connexion/code/", {"code": code})
    assert _event("identity.login").detail == {"method": "email"}


def test_a_new_sms_code_on_request(
    client: Client, pierre: Account, gateway: Gateway, capture: Capture
) -> None:
    user = _user(pierre)
    _with_sms(user)
    password_step(client, capture, pierre.email)
    LoginCodeAge.backdate(user)
    with capture(execute=True):
        client.post("/connexion/code/renvoyer/")
    assert len(gateway.to(MOBILE)) == 2
    assert "par SMS au 06 •• •• •• 78" in client.get("/connexion/code/").content.decode()


def test_no_sms_when_the_platform_has_no_gateway(
    client: Client, pierre: Account, settings: Any, smtp_sink: SmtpSink, capture: Capture
) -> None:
    settings.SMS_BACKEND = "off"
    _with_sms(_user(pierre))
    mark = smtp_sink.count()
    password_step(client, capture, pierre.email)
    assert smtp_sink.wait_for(pierre.email, since=mark)
    assert _event("identity.code_sent").detail == {"channel": "email"}


def test_the_app_wins_over_sms(
    client: Client, pierre: Account, gateway: Gateway, capture: Capture
) -> None:
    user = _user(pierre)
    secret = totp.new_secret()
    _with_sms(user)
    enable_totp(Context(user=user), user, secret, pyotp.TOTP(secret).now())
    assert not Security.objects.get(user=user).sms_number  # the app replaced SMS
    assert _event("identity.totp_enabled").detail == {"replaces": "sms"}
    password_step(client, capture, pierre.email)
    assert gateway.to(MOBILE) == []


def test_send_login_code_reports_where_the_code_went(pierre: Account, gateway: Gateway) -> None:
    user = _user(pierre)
    _with_sms(user)
    delivery = send_login_code(Context(user=None), user)
    assert (delivery.channel, delivery.to, delivery.failover) == ("sms", "06 •• •• •• 78", "")


# --- confirming a mobile on « Sécurité » -----------------------------------------------------


def test_confirming_a_mobile(pierre: Account, gateway: Gateway) -> None:
    user = _user(pierre)
    ctx = Context(user=user)
    assert start_sms_setup(ctx, user, "06 12 34 56 78") == MOBILE
    code = gateway.last_code(MOBILE)
    assert "pour recevoir vos codes de connexion par SMS" in gateway.to(MOBILE)[0].body["text"]
    with pytest.raises(Invalid, match="Code incorrect"):
        enable_sms(ctx, user, MOBILE, "000000" if code != "000000" else "111111")
    enable_sms(ctx, user, MOBILE, code)
    security = Security.objects.get(user=user)
    assert security.sms_enabled and security.sms_number == MOBILE
    assert _event("identity.sms_setup_sent").detail == {"to": "06 •• •• •• 78", "backend": "http"}
    assert _event("identity.sms_enabled").detail == {"to": "06 •• •• •• 78"}
    disable_sms(ctx, user)
    assert not Security.objects.get(user=user).sms_enabled
    assert _event("identity.sms_disabled").detail == {"to": "06 •• •• •• 78"}
    with pytest.raises(Invalid, match="rien à retirer"):
        disable_sms(ctx, user)


def test_a_setup_code_is_not_a_login_code_and_back(pierre: Account, gateway: Gateway) -> None:
    user = _user(pierre)
    ctx = Context(user=user)
    start_sms_setup(ctx, user, MOBILE)
    setup_code = gateway.last_code(MOBILE)
    assert not codes.verify(user, setup_code).ok  # no login code exists
    login_code = codes.issue(user)
    with pytest.raises(Invalid):
        enable_sms(ctx, user, MOBILE, login_code)
    assert codes.verify(user, login_code).ok  # a login code issued after still works
    enable_sms(ctx, user, MOBILE, setup_code)


def test_setup_refusals(pierre: Account, gateway: Gateway, settings: Any) -> None:
    user = _user(pierre)
    ctx = Context(user=user)
    with pytest.raises(Invalid, match="n'est pas un numéro de mobile"):
        start_sms_setup(ctx, user, "01 45 67 89 01")
    start_sms_setup(ctx, user, MOBILE)
    with pytest.raises(Invalid, match="patientez"):
        start_sms_setup(ctx, user, MOBILE)  # one a minute
    settings.SMS_SETUP_LIMIT = 2
    with pytest.raises(Invalid, match="Trop de SMS de confirmation"):
        start_sms_setup(ctx, user, MOBILE)  # the third request of the window
    assert len(gateway.to(MOBILE)) == 1
    gateway.status = 503
    settings.SMS_SETUP_LIMIT = 50
    LoginCodeAge.backdate(user, CodePurpose.SMS_SETUP)
    with pytest.raises(Invalid, match="n'a pas pu être envoyé"):
        start_sms_setup(ctx, user, MOBILE)
    settings.SMS_BACKEND = "off"
    with pytest.raises(Invalid, match="n'envoie pas de SMS"):
        start_sms_setup(ctx, user, MOBILE)


def test_no_sms_setup_while_the_app_is_enrolled(pierre: Account, gateway: Gateway) -> None:
    user = _user(pierre)
    Security.objects.update_or_create(
        user=user, defaults={"totp_secret": "x", "totp_confirmed_at": timezone.now()}
    )
    with pytest.raises(Invalid, match="application d'authentification protège déjà"):
        start_sms_setup(Context(user=user), user, MOBILE)


def test_the_setup_page(pierre: Account, gateway: Gateway, capture: Capture) -> None:
    user = _user(pierre)
    pierre.phone1 = "0612345678"
    pierre.save()
    client = Client()
    client.force_login(user)
    page = client.get("/securite/sms/").content.decode()
    assert 'value="+33612345678"' in page  # the account's mobile, suggested
    response = client.post("/securite/sms/", {"action": "send", "number": "06 12 34 56 78"})
    assert response["Location"] == "/securite/sms/"
    page = client.get("/securite/sms/").content.decode()
    assert "Code reçu par SMS au 06 •• •• •• 78" in page
    response = client.post("/securite/sms/", {"action": "confirm", "code": "00000x"})
    assert response.status_code == 200 and "Code incorrect" in response.content.decode()
    response = client.post(
        "/securite/sms/", {"action": "confirm", "code": gateway.last_code(MOBILE)}
    )
    assert response["Location"] == "/securite/"
    assert Security.objects.get(user=user).sms_enabled
    page = client.get("/securite/").content.decode()
    assert "par SMS au <strong>06 •• •• •• 78</strong>" in page
    response = client.post("/securite/sms/retirer/")
    assert response["Location"] == "/securite/"
    assert not Security.objects.get(user=user).sms_enabled


class LoginCodeAge:
    """Ages the person's newest code past the resend interval (one minute)."""

    @staticmethod
    def backdate(user: User, purpose: str = CodePurpose.LOGIN) -> None:
        from datetime import timedelta

        from caducee.identity.models import LoginCode

        last = LoginCode.objects.filter(user=user, purpose=purpose).order_by("-pk").first()
        assert last is not None
        LoginCode.objects.filter(pk=last.pk).update(
            created_at=last.created_at - timedelta(seconds=61)
        )


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Capture) -> Capture:
    return django_capture_on_commit_callbacks


def test_the_setup_page_without_a_gateway(pierre: Account, settings: Any) -> None:
    settings.SMS_BACKEND = "off"
    client = Client()
    client.force_login(_user(pierre))
    page = client.get("/securite/sms/").content.decode()
    assert 'id="sms-unavailable"' in page and 'id="sms-number-form"' not in page
    response = client.post("/securite/sms/", {"action": "send", "number": MOBILE})
    assert 'id="sms-unavailable"' in response.content.decode()
    assert not Security.objects.filter(user=_user(pierre), sms_number=MOBILE).exists()


def test_confirming_without_a_code_sent_first(pierre: Account, gateway: Gateway) -> None:
    client = Client()
    client.force_login(_user(pierre))
    response = client.post("/securite/sms/", {"action": "confirm", "code": "123456"})
    assert "Saisissez d&#x27;abord votre numéro de mobile." in response.content.decode()
    assert gateway.received == []
