"""Access that should end, ends at once (security review M1).

Each scenario arms the four credentials a person can leave behind (an open session, an
application password, an API token and a remembered browser), ends access through the
real adapter (console, reset link, security page, CLI), then proves each one is refused
on its next use.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http.response import HttpResponseBase
from django.test import Client

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import deactivate_account, reactivate_account
from caducee.api.models import ApiToken
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.identity.mailboxes import SESSION_KEY, may_open, openable
from caducee.identity.models import TrustedBrowser
from caducee.identity.operations import issue_reset_link, logout_everywhere
from caducee.mail.models import AppPassword
from caducee.mail.operations import check_app_password, create_app_password
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.conftest import PASSWORD
from tests.identity.conftest import Capture, full_login, password_step
from tests.smtp_sink import SmtpSink

NEW_PASSWORD = "une toute autre phrase de passe 77"


@dataclass
class Armed:
    session: Client  # logged in with a remembered browser cookie
    app_password: str
    token: str


def _arm(pierre: Account, sink: SmtpSink, capture: Capture) -> Armed:
    assert pierre.user is not None
    session = Client()
    full_login(session, capture, sink, pierre.email, remember=True)
    app_password = create_app_password(Context(user=pierre.user), pierre.user, "Thunderbird")
    token = issue_token(cli_context(), pierre.user, "script")
    armed = Armed(session, app_password, token)
    # every credential works before
    assert session.get("/securite/").status_code == 200
    assert check_app_password(pierre.email, app_password) == pierre.user
    assert _api(token).status_code == 200
    return armed


def _api(token: str) -> HttpResponseBase:
    response = Client().get("/api/v1/mail/mailboxes", HTTP_AUTHORIZATION=f"Bearer {token}")
    return response


def _assert_cut(
    armed: Armed, pierre: Account, capture: Capture, *, password: str, ended: str = "?fin=revoked"
) -> None:
    response = armed.session.get("/securite/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/connexion/{ended}")
    assert check_app_password(pierre.email, armed.app_password) is None
    assert _api(armed.token).status_code == 401  # type: ignore[attr-defined]
    # the remembered-browser cookie is still in the client, but a code is asked again
    response = password_step(armed.session, capture, pierre.email, password)
    assert response.status_code == 302 and response["Location"] == "/connexion/code/"
    assert not AppPassword.objects.filter(user=pierre.user, revoked_at__isnull=True).exists()
    assert not ApiToken.objects.filter(user=pierre.user, revoked_at__isnull=True).exists()
    assert not TrustedBrowser.objects.filter(user=pierre.user, revoked_at__isnull=True).exists()


def test_deactivating_the_account_ends_every_access(
    pierre: Account,
    alice: User,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    armed = _arm(pierre, smtp_sink, django_capture_on_commit_callbacks)
    admin = Client()
    admin.force_login(alice)
    response = admin.post(
        f"/console/structures/{structure_a.pk}/utilisateurs/{pierre.pk}/desactiver/"
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="identity.access_revoked")
    assert event.structure_id == structure_a.pk and event.actor_id == alice.pk
    assert event.detail == {
        "reason": "compte désactivé",
        "app_passwords": 1,
        "api_tokens": 1,
        "browsers": 1,
        "certificates": 0,
    }
    assert armed.session.get("/securite/")["Location"].startswith("/connexion/?fin=revoked")
    assert check_app_password(pierre.email, armed.app_password) is None
    assert _api(armed.token).status_code == 401  # type: ignore[attr-defined]
    refused = password_step(armed.session, django_capture_on_commit_callbacks, pierre.email)
    assert "Votre compte est désactivé" in refused.content.decode()
    # reactivation does not bring the old credentials back
    reactivate_account(Context(user=alice), Account.objects.get(pk=pierre.pk))
    _assert_cut(armed, pierre, django_capture_on_commit_callbacks, password=PASSWORD, ended="")


def test_a_password_reset_ends_every_access(
    pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    assert pierre.user is not None
    armed = _arm(pierre, smtp_sink, django_capture_on_commit_callbacks)
    link = issue_reset_link(cli_context(), pierre.user)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = Client().post(f"/{path}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    event = AuditEvent.objects.get(action="identity.access_revoked")
    assert event.detail["reason"] == "mot de passe réinitialisé"
    # the session already ends on Django's password hash check: a plain login redirect
    _assert_cut(armed, pierre, django_capture_on_commit_callbacks, password=NEW_PASSWORD, ended="")


def test_logout_everywhere_ends_every_access(
    pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    armed = _arm(pierre, smtp_sink, django_capture_on_commit_callbacks)
    other = Client()
    assert pierre.user is not None
    other.force_login(pierre.user)
    response = other.post("/securite/deconnecter-partout/")
    assert response["Location"] == "/connexion/"
    assert AuditEvent.objects.filter(action="identity.logout_everywhere").exists()
    _assert_cut(armed, pierre, django_capture_on_commit_callbacks, password=PASSWORD)


def test_logout_everywhere_from_the_cli_revokes_too(
    pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    assert pierre.user is not None
    armed = _arm(pierre, smtp_sink, django_capture_on_commit_callbacks)
    logout_everywhere(cli_context(), pierre.user)
    _assert_cut(armed, pierre, django_capture_on_commit_callbacks, password=PASSWORD)


def test_a_deactivated_own_mailbox_opens_nothing(
    pierre: Account, secretariat: Account, alice: User
) -> None:
    assert pierre.user is not None
    assert openable(pierre.user) == [pierre, secretariat]
    Account.objects.filter(pk=pierre.pk).update(state=AccountState.DEACTIVATED)
    assert openable(pierre.user) == []
    assert not may_open(pierre.user, pierre)
    assert not may_open(pierre.user, secretariat)


def test_a_token_of_a_deactivated_mailbox_is_refused_even_if_not_revoked(
    pierre: Account,
) -> None:
    """Accounts deactivated before revocation existed: the token check refuses them too."""
    assert pierre.user is not None
    token = issue_token(cli_context(), pierre.user, "ancien")
    Account.objects.filter(pk=pierre.pk).update(state=AccountState.DEACTIVATED)
    assert _api(token).status_code == 401  # type: ignore[attr-defined]


def test_an_admin_whose_mailbox_is_deactivated_keeps_only_the_console(
    structure_a: Structure, pierre: Account, alice: User
) -> None:
    assert pierre.user is not None
    from caducee.structures.models import StructureAdmin

    StructureAdmin.objects.create(structure=structure_a, user=pierre.user)
    deactivate_account(Context(user=alice), pierre)
    client = Client()
    client.force_login(pierre.user)
    assert client.get("/ma-boite/")["Location"] == "/console/"
    token = issue_token(cli_context(), pierre.user, "console")
    assert (
        Client().get("/api/v1/structures", HTTP_AUTHORIZATION=f"Bearer {token}").json()[0]["id"]
        == structure_a.pk
    )
    assert Client().get("/api/v1/mail/mailboxes", HTTP_AUTHORIZATION=f"Bearer {token}").json() == []


@pytest.mark.parametrize("via", ["console", "operation"])
def test_deactivating_a_shared_mailbox_ends_its_use_at_once(
    via: str, structure_a: Structure, pierre: Account, secretariat: Account, alice: User
) -> None:
    """A shared mailbox has no login: people using it lose it at their next request."""
    assert pierre.user is not None
    client = Client()
    client.force_login(pierre.user)
    assert client.post("/changer-de-compte/", {"mailbox": secretariat.pk}).status_code == 302
    assert client.session[SESSION_KEY] == secretariat.pk
    token = issue_token(cli_context(), pierre.user, "script")
    before = Client().get("/api/v1/mail/mailboxes", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert secretariat.email in {m["email"] for m in before.json()}
    if via == "console":
        admin = Client()
        admin.force_login(alice)
        admin.post(
            f"/console/structures/{structure_a.pk}/utilisateurs/{secretariat.pk}/desactiver/"
        )
    else:
        deactivate_account(Context(user=alice), secretariat)
    assert Account.objects.get(pk=secretariat.pk).state == AccountState.DEACTIVATED
    client.get("/ma-boite/")
    assert client.session[SESSION_KEY] == pierre.pk  # back to his own mailbox
    after = Client().get("/api/v1/mail/mailboxes", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert {m["email"] for m in after.json()} == {pierre.email}
    assert secretariat not in openable(pierre.user)
    # his own credentials are untouched: only the shared mailbox went away
    assert client.get("/securite/").status_code == 200
    assert not AuditEvent.objects.filter(action="identity.access_revoked").exists()


def test_a_disabled_login_is_refused_by_every_check(
    pierre: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Capture
) -> None:
    """`User.is_active` false (suspended external partner, mailbox turned ORG/APP)."""
    armed = _arm(pierre, smtp_sink, django_capture_on_commit_callbacks)
    assert pierre.user_id is not None
    User.objects.filter(pk=pierre.user_id).update(is_active=False)
    assert armed.session.get("/securite/").status_code == 302
    assert check_app_password(pierre.email, armed.app_password) is None
    assert _api(armed.token).status_code == 401  # type: ignore[attr-defined]
    refused = password_step(armed.session, django_capture_on_commit_callbacks, pierre.email)
    assert refused.status_code == 200  # the password step itself fails: no code step
    assert armed.session.get("/securite/").status_code == 302
