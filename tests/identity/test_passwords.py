"""Forgotten and changed passwords; the answer never tells whether an address exists."""

from __future__ import annotations

import re

from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity.models import ActionLink, LinkPurpose
from caducee.people.models import User
from tests.conftest import PASSWORD
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink, url_in

NEW = "une toute nouvelle phrase de passe"


def _ask(client: Client, capture: Capture, email: str) -> str:
    with capture(execute=True):
        page = client.post("/mot-de-passe-oublie/", {"email": email}).content.decode()
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    known = _ask(client, django_capture_on_commit_callbacks, pierre.email)
    unknown = _ask(client, django_capture_on_commit_callbacks, "nobody@ch-a.fr")
    assert known.replace(pierre.email, "X") == unknown.replace("nobody@ch-a.fr", "X")
    smtp_sink.wait_for(pierre.email)  # sent from a background thread
    assert smtp_sink.to("nobody@ch-a.fr") == []
    assert len(smtp_sink.to(pierre.email)) == 1


def test_the_reset_link_sets_a_new_password_once(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _ask(client, django_capture_on_commit_callbacks, pierre.email)
    received = smtp_sink.wait_for(pierre.email)
    assert received.subject == "Choisir un nouveau mot de passe Caducée"
    path = _path(url_in(received))
    assert client.get(path).status_code == 200
    response = client.post(path, {"password": NEW, "confirm": NEW + "x"})
    assert "Les deux mots de passe diffèrent" in response.content.decode()
    response = client.post(path, {"password": NEW, "confirm": NEW})
    assert response["Location"] == "/connexion/"
    assert pierre.user is not None
    pierre.user.refresh_from_db()
    assert pierre.user.check_password(NEW)
    assert client.get(path).status_code == 410
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"identity.password_reset_requested", "identity.password_reset"} <= actions


def test_a_pre_registered_user_gets_a_finalisation_link_instead(
    client: Client, paula: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    _ask(client, django_capture_on_commit_callbacks, paula.email)
    assert "/finaliser/" in url_in(smtp_sink.wait_for(paula.email))


def test_one_email_a_minute_at_most(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _ask(client, django_capture_on_commit_callbacks, pierre.email)
    _ask(client, django_capture_on_commit_callbacks, pierre.email)
    assert ActionLink.objects.filter(purpose=LinkPurpose.RESET).count() == 1
    smtp_sink.wait_for(pierre.email)
    assert len(smtp_sink.to(pierre.email)) == 1


def test_change_password_from_the_security_page(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    response = client.post(
        "/securite/mot-de-passe/", {"current": "wrong", "password": NEW, "confirm": NEW}
    )
    assert "Le mot de passe actuel est incorrect." in response.content.decode()
    response = client.post(
        "/securite/mot-de-passe/", {"current": PASSWORD, "password": "court", "confirm": "court"}
    )
    assert "12 caractères" in response.content.decode()
    response = client.post(
        "/securite/mot-de-passe/", {"current": PASSWORD, "password": NEW, "confirm": NEW}
    )
    assert response["Location"] == "/securite/"
    charlie.refresh_from_db()
    assert charlie.check_password(NEW)
    assert client.get("/securite/").status_code == 200  # still logged in


def test_requests_from_one_ip_are_capped(
    client: Client,
    pierre: Account,
    settings: object,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.RESET_REQUESTS_PER_IP = 2  # type: ignore[attr-defined]
    for n in range(2):
        _ask(client, django_capture_on_commit_callbacks, f"x{n}@ch-a.fr")
    page = _ask(client, django_capture_on_commit_callbacks, pierre.email)
    assert "Si un compte correspond" in page  # same answer
    assert not ActionLink.objects.filter(purpose=LinkPurpose.RESET).exists()
    event = AuditEvent.objects.filter(action="identity.password_reset_requested").last()
    assert event is not None and event.detail == {"known": True, "limited": True}


def test_refused_requests_do_not_flood_the_audit(
    db: None,
    client: Client,
    settings: object,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """Within the limit each request is audited; beyond it only the first refused one."""
    settings.RESET_REQUESTS_PER_IP = 3  # type: ignore[attr-defined]
    for n in range(25):
        page = _ask(client, django_capture_on_commit_callbacks, f"flood{n}@x.test")
        assert "Si un compte correspond" in page
    events = AuditEvent.objects.filter(action="identity.password_reset_requested")
    assert events.count() == 4
    assert [e.detail["limited"] for e in events.order_by("seq")] == [False] * 3 + [True]
