"""Session limits: idle timeout, absolute lifetime, logout everywhere (no sleeping)."""

from __future__ import annotations

import time
from typing import Any as SettingsWrapper

from django.test import Client

from caducee.core.context import Context
from caducee.identity import sessions
from caducee.identity.operations import logout_everywhere
from caducee.people.models import User


def _open(client: Client, user: User) -> None:
    client.force_login(user)
    assert client.get("/securite/").status_code == 200  # the middleware stamps the session


def _shift(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = float(session[key]) - seconds
    session.save()


def test_a_force_login_session_keeps_working(client: Client, charlie: User) -> None:
    _open(client, charlie)
    assert client.get("/securite/").status_code == 200


def test_it_ends_an_idle_session(client: Client, charlie: User, settings: SettingsWrapper) -> None:
    settings.SESSION_IDLE_MINUTES = 30
    _open(client, charlie)
    _shift(client, sessions.SEEN_AT, 29 * 60)
    assert client.get("/securite/").status_code == 200
    _shift(client, sessions.SEEN_AT, 31 * 60)
    response = client.get("/securite/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?fin=idle")
    assert client.get("/securite/").status_code == 302  # really logged out


def test_it_ends_a_session_past_its_lifetime(
    client: Client, charlie: User, settings: SettingsWrapper
) -> None:
    settings.SESSION_COOKIE_AGE = 12 * 3600
    _open(client, charlie)
    _shift(client, sessions.LOGIN_AT, 12 * 3600 + 1)
    response = client.get("/securite/")
    assert response["Location"].startswith("/connexion/?fin=max_age")
    page = client.get(response["Location"])
    assert "durée maximale" in page.content.decode()


def test_logout_everywhere_ends_other_sessions(charlie: User) -> None:
    first, second = Client(), Client()
    _open(first, charlie)
    _open(second, charlie)
    logout_everywhere(Context(user=charlie), charlie)
    assert first.get("/securite/")["Location"].startswith("/connexion/?fin=revoked")
    assert second.get("/securite/").status_code == 302


def test_the_logout_everywhere_button(client: Client, charlie: User) -> None:
    other = Client()
    _open(other, charlie)
    _open(client, charlie)
    response = client.post("/securite/deconnecter-partout/")
    assert response["Location"] == "/connexion/"
    assert other.get("/securite/").status_code == 302


def test_verdict_rules(charlie: User, settings: SettingsWrapper) -> None:
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_COOKIE_AGE = 3600
    now = time.time()
    session: dict[str, object] = {}
    assert sessions.verdict(session, charlie, now) is None  # type: ignore[arg-type]
    assert sessions.verdict(session, charlie, now + 29 * 60) is None  # type: ignore[arg-type]
    assert sessions.verdict(session, charlie, now + 29 * 60 + 31 * 60) == "idle"  # type: ignore[arg-type]
