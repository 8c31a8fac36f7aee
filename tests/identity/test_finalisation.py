"""Finalisation by emailed link: password twice, information checked, CGU accepted."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import create_account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.identity import cgu
from caducee.identity.models import ActionLink, LinkPurpose, Security
from caducee.identity.operations import finalise_account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink, url_in

NEW_PASSWORD = "une phrase de passe assez longue"
PASSWORD_ = PASSWORD


def _invite(
    structure: Structure, capture: Capture, sink: SmtpSink, email: str
) -> tuple[Account, str]:
    with capture(execute=True):
        account = create_account(
            cli_context(),
            structure,
            factories.account_data("PER", email),
            notify=True,
        ).account
    received = sink.wait_for(email)
    return account, url_in(received)


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "last_name": "dupont",
        "first_name": "Jeanne",
        "phone1": "0102030405",
        "phone2": "",
        "address1": "1 rue de la Paix",
        "address2": "",
        "postal_code": "75012",
        "city": "paris",
        "cgu": cgu.current_version(),
    }
    data.update(overrides)
    return data


def test_the_email_is_french_text_and_html_without_password(
    structure_a: Structure, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    _, url = _invite(structure_a, django_capture_on_commit_callbacks, smtp_sink, "j@ch-a.fr")
    received = smtp_sink.to("j@ch-a.fr")[0]
    assert received.subject == "Finalisez votre compte Caducée (Centre hospitalier A)"
    assert "/finaliser/" in url
    assert "expire dans 30 jours" in received.text
    assert url in received.html
    assert "mot de passe" in received.text  # says a password is to be chosen, gives none


def test_finalising_makes_the_account_valid_and_visible(
    client: Client,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    account, url = _invite(structure_a, django_capture_on_commit_callbacks, smtp_sink, "j@ch-a.fr")
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert "CONDITIONS GÉNÉRALES" in page.content.decode()
    response = client.post(f"/{path}", _form(phone1="0611223344"))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
    account.refresh_from_db()
    assert account.state == AccountState.VALID and account.finalised_at is not None
    assert account.visible
    assert account.phone1 == "0611223344"
    assert account.last_name == "DUPONT" and account.city == "PARIS"  # field rules applied
    user = User.objects.get(email="j@ch-a.fr")
    assert user.check_password(NEW_PASSWORD)
    security = Security.objects.get(user=user)
    assert security.cgu_version == cgu.current_version() and security.cgu_accepted_at
    event = AuditEvent.objects.get(action="identity.finalise")
    assert event.actor_id == user.pk and event.detail["made_visible"] is True
    assert event.detail["changes"]["phone1"][1] == "0611223344"
    again = client.get(f"/{path}")
    assert again.status_code == 410
    assert "déjà été utilisé" in again.content.decode()


def test_it_reports_every_problem_in_french(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="k@ch-a.fr")
    from caducee.identity import links

    assert account.user is not None
    token = links.issue(LinkPurpose.FINALISE, account.user)
    with pytest.raises(Invalid) as caught:
        finalise_account(
            Context(user=None),
            token,
            {"last_name": "", "phone1": "01 02", "postal_code": "ABC"},
            "court",
            "autre",
            "",
        )
    fields = {p.field for p in caught.value.problems}
    assert {"last_name", "phone1", "postal_code", "password", "confirm", "cgu"} <= fields
    account.refresh_from_db()
    assert account.state == AccountState.PREREGISTERED
    assert links.find_valid(LinkPurpose.FINALISE, token) is not None  # not consumed


def test_common_passwords_are_refused_in_french(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="m@ch-a.fr")
    from caducee.identity import links

    assert account.user is not None
    token = links.issue(LinkPurpose.FINALISE, account.user)
    with pytest.raises(Invalid) as caught:
        finalise_account(
            Context(user=None), token, {}, "password1234", "password1234", cgu.current_version()
        )
    messages = " ".join(p.message for p in caught.value.problems)
    assert "trop courant" in messages


def test_an_expired_link_gives_a_clear_page(
    client: Client,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    _, url = _invite(structure_a, django_capture_on_commit_callbacks, smtp_sink, "e@ch-a.fr")
    ActionLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    response = client.get(path)
    assert response.status_code == 410
    page = html.unescape(response.content.decode())
    assert "Ce lien a expiré." in page and "renvoyer un lien" in page
    assert client.post(path, _form()).status_code == 410


def test_the_link_lifetime_is_configurable(
    structure_a: Structure,
    smtp_sink: SmtpSink,
    settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.FINALISATION_DAYS = 7
    _invite(structure_a, django_capture_on_commit_callbacks, smtp_sink, "f@ch-a.fr")
    link = ActionLink.objects.get(purpose=LinkPurpose.FINALISE)
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)
    assert "expire dans 7 jours" in smtp_sink.to("f@ch-a.fr")[0].text


def test_an_unknown_link_is_not_an_error_page(client: Client, db: None) -> None:
    response = client.get("/finaliser/nimportequoi/")
    assert response.status_code == 404
    assert "Ce lien n'est pas valable." in html.unescape(response.content.decode())


def test_a_deactivated_account_cannot_be_finalised(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="d@ch-a.fr")
    from caducee.identity import links

    assert account.user is not None
    token = links.issue(LinkPurpose.FINALISE, account.user)
    Account.objects.filter(pk=account.pk).update(state=AccountState.DEACTIVATED)
    with pytest.raises(NotFound):
        finalise_account(
            Context(user=None), token, {}, NEW_PASSWORD, NEW_PASSWORD, cgu.current_version()
        )


def test_a_new_cgu_version_is_accepted_at_next_login(
    client: Client,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    settings: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from tests.identity.conftest import full_login

    account, url = _invite(structure_a, django_capture_on_commit_callbacks, smtp_sink, "v@ch-a.fr")
    client.post(
        "/" + url.split("://", 1)[1].split("/", 1)[1], _form(password=PASSWORD_, confirm=PASSWORD_)
    )
    settings.CGU_VERSION = "test-2"
    monkeypatch.setattr(cgu, "CGU_DIR", tmp_path)
    (tmp_path / "test-2.txt").write_text("Nouvelles conditions", encoding="utf-8")
    response = full_login(client, django_capture_on_commit_callbacks, smtp_sink, account.email)
    assert response["Location"].startswith("/cgu/?next=")
    assert client.get("/securite/")["Location"] == "/cgu/"  # held on the CGU page
    page = client.get(response["Location"]).content.decode()
    assert "Nouvelles conditions" in page and "ont changé" in page
    response = client.post("/cgu/", {"cgu": "test-2", "next": "/securite/"})
    assert response["Location"] == "/securite/"
    assert client.get("/securite/").status_code == 200
    assert Security.objects.get(user__email="v@ch-a.fr").cgu_version == "test-2"
    event = AuditEvent.objects.get(action="identity.cgu_accepted")
    assert event.detail == {"version": "test-2", "previous": "1.0"}


def test_a_missing_cgu_text_blocks_finalisation_with_a_clear_message(
    structure_a: Structure, settings: Any
) -> None:
    from caducee.identity import links

    account = factories.make_account(structure_a, "PER", email="n@ch-a.fr")
    assert account.user is not None
    token = links.issue(LinkPurpose.FINALISE, account.user)
    settings.CGU_VERSION = "absente"
    with pytest.raises(Invalid) as caught:
        finalise_account(Context(user=None), token, {}, NEW_PASSWORD, NEW_PASSWORD, "absente")
    assert "introuvable sur le serveur" in caught.value.problems[0].message
