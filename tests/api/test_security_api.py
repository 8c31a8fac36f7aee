"""Account security over the API: the caller's own (`/me/...`) and an admin's on an account
(second-factor reset, login unlock). Each route: it works, another structure answers 404, a
read-only token answers 403 on writes, and the operation's audit event is written."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.api.tokens import issue_token, user_for_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.core.errors import NotFound
from caducee.identity import browsers, throttle, totp
from caducee.identity.operations import enable_totp, security_of, unlock_login
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.helpers import api_headers, ctx_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def person(structure: Structure) -> User:
    account = factories.make_account(structure, "PER", email="pierre.martin@ch-a.fr")
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    return account.user


def read_only(user: User) -> dict[str, Any]:
    token = issue_token(cli_context(), user, "lecture", read_only=True)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def with_app(user: User) -> str:
    secret = totp.new_secret()
    enable_totp(ctx_for(user), user, secret, pyotp.TOTP(secret).now())
    return secret


def test_my_security_lists_and_forgets_browsers(client: Client, alice: User, bob: User) -> None:
    browser, _key = browsers.create(alice, "Firefox sur Linux", "127.0.0.1")
    browsers.create(bob, "Chrome", "127.0.0.1")
    data = client.get("/api/v1/me/security", **api_headers(alice)).json()
    assert data["totp_enabled"] is False
    assert [b["label"] for b in data["browsers"]] == ["Firefox sur Linux"]
    url = f"/api/v1/me/browsers/{browser.pk}"
    assert client.delete(url, **read_only(alice)).status_code == 403
    bobs = client.delete(url, **api_headers(bob))  # not his browser
    assert bobs.status_code == 404 and bobs.json()["detail"] == "Navigateur introuvable."
    assert client.delete(url, **api_headers(alice)).status_code == 204
    assert client.get("/api/v1/me/security", **api_headers(alice)).json()["browsers"] == []
    assert AuditEvent.objects.filter(action="identity.browser_revoked", actor=alice).exists()


def test_change_my_password_needs_the_current_one(client: Client, alice: User) -> None:
    new = "une autre phrase de passe 77"
    body = {"current": "faux", "password": new, "confirm": new}
    assert client.post("/api/v1/me/password", body, JSON, **read_only(alice)).status_code == 403
    wrong = client.post("/api/v1/me/password", body, JSON, **api_headers(alice))
    assert wrong.status_code == 422
    assert {p["field"] for p in wrong.json()["problems"]} == {"current"}
    body["current"] = PASSWORD
    ok = client.post("/api/v1/me/password", body, JSON, **api_headers(alice))
    assert ok.status_code == 200 and ok.json()["detail"] == "Votre mot de passe est changé."
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert AuditEvent.objects.filter(action="identity.password_changed", actor=alice).exists()


def test_disable_my_app_with_a_current_code(client: Client, alice: User) -> None:
    secret = with_app(alice)
    assert client.get("/api/v1/me/security", **api_headers(alice)).json()["totp_enabled"]
    url = "/api/v1/me/totp/disable"
    assert client.post(url, {"code": "000000"}, JSON, **read_only(alice)).status_code == 403
    wrong = client.post(url, {"code": "000000"}, JSON, **api_headers(alice))
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("Code incorrect")
    app = pyotp.TOTP(secret)
    code = app.at(time.time() + app.interval)  # the enrolment's code cannot be replayed
    assert client.post(url, {"code": code}, JSON, **api_headers(alice)).status_code == 200
    assert not security_of(alice).totp_enabled
    assert AuditEvent.objects.filter(action="identity.totp_disabled", actor=alice).exists()


def test_no_route_enrols_an_app(client: Client, alice: User) -> None:
    """A token alone must not bind a second factor to its person (see identity/api.py)."""
    body = {"secret": totp.new_secret(), "code": "123456"}
    response = client.post("/api/v1/me/totp", body, JSON, **api_headers(alice))
    assert response.status_code in (404, 405)
    assert not security_of(alice).totp_enabled


def test_logout_everywhere_revokes_this_token_too(client: Client, alice: User) -> None:
    token = issue_token(cli_context(), alice, "script")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = "/api/v1/me/logout-everywhere"
    assert client.post(url, **read_only(alice)).status_code == 403
    assert client.post(url, **headers).status_code == 200
    assert user_for_token(token) is None
    assert client.get("/api/v1/me/security", **headers).status_code == 401
    assert AuditEvent.objects.filter(action="identity.logout_everywhere", actor=alice).exists()


def test_admin_resets_the_second_factor(
    client: Client, structure_a: Structure, alice: User, bob: User
) -> None:
    pierre = person(structure_a)
    account = Account.objects.get(user=pierre)
    url = f"/api/v1/accounts/{account.pk}/second-factor"
    not_enrolled = client.delete(url, **api_headers(alice))
    assert not_enrolled.status_code == 422
    assert "n'utilise pas d'application" in not_enrolled.json()["detail"]
    with_app(pierre)
    assert client.delete(url, **api_headers(bob)).status_code == 404  # another structure
    assert client.delete(url, **read_only(alice)).status_code == 403
    ok = client.delete(url, **api_headers(alice))
    assert ok.status_code == 200 and "est réinitialisé" in ok.json()["detail"]
    assert not security_of(pierre).totp_enabled
    assert AuditEvent.objects.filter(action="identity.totp_reset", actor=alice).exists()


def test_admin_unlocks_a_login(
    client: Client, structure_a: Structure, alice: User, bob: User
) -> None:
    pierre = person(structure_a)
    account = Account.objects.get(user=pierre)
    throttle.fail([throttle.account_key(pierre.email)])
    url = f"/api/v1/accounts/{account.pk}/login-lock"
    assert client.delete(url, **api_headers(bob)).status_code == 404  # another structure
    assert client.delete(url, **read_only(alice)).status_code == 403
    ok = client.delete(url, **api_headers(alice))
    assert ok.status_code == 200 and ok.json()["was_locked"] is True
    again = client.delete(url, **api_headers(alice)).json()
    assert again["was_locked"] is False and again["detail"].startswith("Ce compte n'était pas")
    event = AuditEvent.objects.filter(action="identity.unlock", actor=alice).first()
    assert event is not None and event.target_label == pierre.email


def test_unlock_login_refuses_an_admin_of_another_structure(
    structure_a: Structure, bob: User
) -> None:
    """The operation checks itself (the CLI keeps its server rights)."""
    pierre = person(structure_a)
    with pytest.raises(NotFound):
        unlock_login(ctx_for(bob), pierre.email)
    assert unlock_login(cli_context(), pierre.email) is False
