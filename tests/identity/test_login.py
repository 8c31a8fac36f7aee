"""Login: password, then an emailed code (real SMTP), remembered browsers, shared mailboxes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity import browsers
from caducee.identity.mailboxes import SESSION_KEY
from caducee.identity.models import LoginCode, TrustedBrowser
from caducee.people.models import User
from tests.conftest import PASSWORD
from tests.identity.conftest import Capture, full_login, password_step
from tests.smtp_sink import SmtpSink, code_in

Cap = Capture


def _actions() -> list[str]:
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_the_password_alone_does_not_log_in(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert response["Location"] == "/connexion/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/ma-boite/")["Location"].startswith("/connexion/")


def test_the_code_arrives_by_smtp_in_french_text_and_html(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    password_step(client, django_capture_on_commit_callbacks, pierre.email)
    received = smtp_sink.wait_for(pierre.email)
    assert received.subject == "Votre code de connexion Caducée"
    code = code_in(received)
    assert code in received.html
    assert "valable 10 minutes" in received.text
    assert PASSWORD not in received.text and PASSWORD not in received.html
    assert "identity.code_sent" in _actions()


def test_the_code_logs_in_and_opens_the_default_mailbox(
    client: Client,
    pierre: Account,
    secretariat: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Cap,
) -> None:
    pierre.default_mailbox = secretariat
    pierre.save()
    response = full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    assert response["Location"] == "/ma-boite/"
    assert client.session[SESSION_KEY] == secretariat.pk
    page = client.get("/securite/").content.decode()
    assert '<summary id="mailbox-menu">secretariat@ch-a.fr</summary>' in page
    login_event = AuditEvent.objects.get(action="identity.login")
    assert login_event.actor_id == pierre.user_id
    assert login_event.detail == {"method": "email"}


def test_it_goes_to_next_after_login(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    mark = smtp_sink.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/connexion/",
            {"email": pierre.email, "password": PASSWORD, "next": "/securite/"},
        )
    code = code_in(smtp_sink.wait_for(pierre.email, since=mark))
    response = client.post("/connexion/code/", {"code": code})
    assert response["Location"] == "/securite/"


def test_it_refuses_an_outside_next(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    password_step(
        client, django_capture_on_commit_callbacks, pierre.email, next="https://evil.example/"
    )
    code = code_in(smtp_sink.wait_for(pierre.email))
    response = client.post("/connexion/code/", {"code": code})
    assert response["Location"] == "/ma-boite/"


def test_an_admin_without_mailbox_lands_on_the_console(
    client: Client, alice: User, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    response = full_login(client, django_capture_on_commit_callbacks, smtp_sink, alice.email)
    assert response["Location"] == "/console/"


def test_a_wrong_code_says_how_many_tries_remain(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    password_step(client, django_capture_on_commit_callbacks, pierre.email)
    code = code_in(smtp_sink.wait_for(pierre.email))
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/connexion/code/", {"code": wrong})
    assert "Il vous reste 4 essais" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failure = AuditEvent.objects.get(action="identity.login_failed")
    assert failure.detail["stage"] == "code_email"
    assert failure.actor_id is None and failure.target_id == str(pierre.user_id)


def test_a_new_code_at_most_once_a_minute(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    password_step(client, django_capture_on_commit_callbacks, pierre.email)
    response = client.post("/connexion/code/renvoyer/", follow=True)
    assert "patientez" in response.content.decode()
    assert LoginCode.objects.count() == 1
    LoginCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/connexion/code/renvoyer/", follow=True)
    assert "Un nouveau code a été envoyé" in response.content.decode()
    assert LoginCode.objects.count() == 2
    assert len(smtp_sink.to(pierre.email)) == 2


def test_a_wrong_password_gives_the_same_answer_as_an_unknown_address(
    client: Client, pierre: Account, django_capture_on_commit_callbacks: Cap
) -> None:
    wrong = password_step(
        client, django_capture_on_commit_callbacks, pierre.email, password="not the password!"
    )
    unknown = password_step(client, django_capture_on_commit_callbacks, "nobody@ch-a.fr")
    assert wrong.status_code == unknown.status_code == 200
    message = "Adresse mail ou mot de passe incorrect."
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert AuditEvent.objects.filter(action="identity.login_failed").count() == 2


def test_a_shared_mailbox_address_is_explained(
    client: Client, secretariat: Account, django_capture_on_commit_callbacks: Cap
) -> None:
    response = password_step(client, django_capture_on_commit_callbacks, secretariat.email)
    page = response.content.decode()
    assert "boîte partagée" in page and "Changer de compte" in page


def test_a_remembered_browser_skips_the_code(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    response = full_login(
        client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, remember=True
    )
    cookie = response.cookies[browsers.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert TrustedBrowser.objects.filter(user=pierre.user).count() == 1
    client.post("/deconnexion/")
    mark = smtp_sink.count()
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert response["Location"] == "/ma-boite/"
    assert smtp_sink.count() == mark  # no code sent
    events = _actions()
    assert "identity.browser_remembered" in events
    assert AuditEvent.objects.filter(action="identity.login").last().detail == {  # type: ignore[union-attr]
        "method": "trusted_browser"
    }


def test_a_revoked_browser_asks_for_a_code_again(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, remember=True)
    browser = TrustedBrowser.objects.get(user=pierre.user)
    assert browser.label in client.get("/securite/").content.decode()
    client.post(f"/securite/navigateurs/{browser.pk}/oublier/")
    assert "identity.browser_revoked" in _actions()
    client.post("/deconnexion/")
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert response["Location"] == "/connexion/code/"


def test_a_browser_cookie_of_another_person_is_ignored(
    client: Client,
    pierre: Account,
    alice: User,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Cap,
) -> None:
    full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, remember=True)
    client.post("/deconnexion/")
    response = password_step(client, django_capture_on_commit_callbacks, alice.email)
    assert response["Location"] == "/connexion/code/"


def test_nobody_can_revoke_the_browser_of_someone_else(
    client: Client,
    pierre: Account,
    charlie: User,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Cap,
) -> None:
    full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, remember=True)
    browser = TrustedBrowser.objects.get(user=pierre.user)
    other = Client()
    other.force_login(charlie)
    assert other.post(f"/securite/navigateurs/{browser.pk}/oublier/").status_code == 404
    browser.refresh_from_db()
    assert browser.revoked_at is None


def test_logout_is_audited(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    client.post("/deconnexion/")
    assert "identity.logout" in _actions()


def test_lockout_after_repeated_failures(
    client: Client,
    pierre: Account,
    settings: Any,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Cap,
) -> None:
    settings.LOCKOUT_THRESHOLD = 3
    settings.LOCKOUT_FREE_FAILURES = 5
    for _ in range(3):
        password_step(client, django_capture_on_commit_callbacks, pierre.email, password="x" * 12)
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert response.status_code == 429
    assert "bloquée temporairement" in response.content.decode()
    assert "identity.lockout" in _actions()
    assert "_auth_user_id" not in client.session
    warning = smtp_sink.wait_for(pierre.email)
    assert warning.subject == "Connexion à Caducée bloquée temporairement"
    assert "bloquée pendant 15 minutes" in warning.text


def test_the_session_cookie_is_httponly_and_samesite(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    response = full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_a_deactivated_account_is_told_after_the_right_password(
    client: Client, pierre: Account, django_capture_on_commit_callbacks: Cap
) -> None:
    Account.objects.filter(pk=pierre.pk).update(state="desactive")
    response = password_step(client, django_capture_on_commit_callbacks, pierre.email)
    assert "Votre compte est désactivé" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_pending_login_goes_back(client: Client, db: None) -> None:
    assert client.get("/connexion/code/")["Location"] == "/connexion/"
    assert client.post("/connexion/code/", {"code": "123456"})["Location"] == "/connexion/"


def test_the_login_page_says_why_a_session_ended(client: Client, db: None) -> None:
    page = client.get("/connexion/?fin=idle").content.decode()
    assert "période d&#x27;inactivité" in page or "période d'inactivité" in page


def test_a_second_attempt_within_the_minute_reuses_the_code(
    client: Client, pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Cap
) -> None:
    password_step(client, django_capture_on_commit_callbacks, pierre.email)
    first = code_in(smtp_sink.wait_for(pierre.email))
    other = Client()
    password_step(other, django_capture_on_commit_callbacks, pierre.email)
    page = other.get("/connexion/code/").content.decode()
    assert 'id="code-reused"' in page
    assert len(smtp_sink.to(pierre.email)) == 1
    assert other.post("/connexion/code/", {"code": first})["Location"] == "/ma-boite/"
