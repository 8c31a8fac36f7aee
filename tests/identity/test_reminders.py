"""Admin reminders: a fresh link to every pre-registered user; the last reminder is shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.identity import links
from caducee.identity.models import LinkPurpose, Reminder
from caducee.identity.operations import remind_preregistered, resend_invitation
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink, url_in


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_it_sends_a_fresh_link_and_kills_the_older_one(
    client: Client,
    alice: User,
    paula: Account,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert paula.user is not None
    older = links.issue(LinkPurpose.FINALISE, paula.user)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/structures/{paula.structure_id}/relancer/")
    assert response.status_code == 302
    received = smtp_sink.wait_for(paula.email)
    assert smtp_sink.to(pierre.email) == []  # already valid: not reminded
    assert links.find_valid(LinkPurpose.FINALISE, older) is None
    assert links.find_valid(LinkPurpose.FINALISE, _token(url_in(received))) is not None
    reminder = Reminder.objects.get()
    assert [a["email"] for a in reminder.accounts] == [paula.email]
    assert reminder.actor == alice
    event = AuditEvent.objects.get(action="identity.reminder")
    assert event.actor == alice and event.detail["accounts"] == [paula.email]
    page = client.get(response["Location"]).content.decode()
    when = timezone.localtime(reminder.created_at)
    assert f"Dernière relance le : {when:%d/%m/%Y} à {when:%H:%M:%S}" in page
    assert paula.email in page


def test_the_actions_menu_shows_the_last_reminder(
    alice: User, paula: Account, django_capture_on_commit_callbacks: Capture
) -> None:
    from django.template.loader import render_to_string

    structure = paula.structure
    html = render_to_string("identity/_admin_actions.html", {"structure": structure})
    assert "Relancer vos utilisateurs préinscrits" in html and "Dernière relance" not in html
    with django_capture_on_commit_callbacks(execute=True):
        reminder = remind_preregistered(Context(user=alice), structure)
    html = render_to_string("identity/_admin_actions.html", {"structure": structure})
    when = timezone.localtime(reminder.created_at)
    assert f"(Dernière relance le : {when:%d/%m/%Y} à {when:%H:%M:%S})" in html
    assert "Afficher la dernière relance de vos utilisateurs préinscrits" in html


def test_another_structure_admin_gets_404(
    client: Client, bob: User, paula: Account, structure_a: Structure
) -> None:
    client.force_login(bob)
    assert client.post(f"/console/structures/{structure_a.pk}/relancer/").status_code == 404
    assert client.get(f"/console/structures/{structure_a.pk}/derniere-relance/").status_code == 404
    assert client.post(f"/console/comptes/{paula.pk}/renvoyer-lien/").status_code == 404
    with pytest.raises(NotFound):
        remind_preregistered(Context(user=bob), structure_a)
    assert not Reminder.objects.exists()


def test_resend_to_one_user(
    client: Client,
    alice: User,
    paula: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/comptes/{paula.pk}/renvoyer-lien/", {"next": "/console/"}, follow=True
        )
    assert "Un nouveau lien de finalisation a été envoyé" in response.content.decode()
    assert smtp_sink.wait_for(paula.email).subject.startswith("Finalisez votre compte")
    assert AuditEvent.objects.filter(action="identity.invitation_sent").exists()


def test_resend_refuses_a_valid_account(alice: User, pierre: Account) -> None:
    with pytest.raises(Invalid) as caught:
        resend_invitation(Context(user=alice), pierre)
    assert "Mot de passe oublié" in caught.value.message


def test_the_resend_button_partial(paula: Account, pierre: Account) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/console/")
    html = render_to_string("identity/_resend_button.html", {"account": paula}, request=request)
    assert f"/console/comptes/{paula.pk}/renvoyer-lien/" in html
    assert render_to_string("identity/_resend_button.html", {"account": pierre}).strip() == ""
