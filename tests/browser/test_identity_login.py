"""Logging in through the real pages, in Chromium: code by email, remembered browser, lockout."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.identity.conftest import make_pierre
from tests.smtp_sink import SmtpSink, code_in

pytestmark = pytest.mark.browser


@pytest.fixture
def pierre(structure_a: Structure) -> Account:
    return make_pierre(structure_a)


def _password_step(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/connexion/")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_the_login_helper_logs_an_admin_in(live_server: Any, page: Any, alice: User) -> None:
    login(page, live_server.url, alice.email, PASSWORD)
    assert "/console/" in page.url
    assert "Déconnexion" in page.content()


def test_login_with_the_emailed_code(
    live_server: Any, page: Any, pierre: Account, smtp_sink: SmtpSink
) -> None:
    _password_step(page, live_server.url, pierre.email)
    assert page.url.endswith("/connexion/code/")
    assert "Un code à 6 chiffres vient d'être envoyé" in page.inner_text("main")
    code = code_in(smtp_sink.wait_for(pierre.email))
    page.fill("#code", "000000" if code != "000000" else "111111")
    with page.expect_navigation():
        page.click("#code-submit")
    assert "Il vous reste 4 essais" in page.inner_text("main")
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("#code-submit")
    assert "/messagerie/" in page.url
    assert page.inner_text("#mailbox-menu") == pierre.email


def test_a_remembered_browser_skips_the_code_until_revoked(
    live_server: Any, page: Any, pierre: Account, smtp_sink: SmtpSink
) -> None:
    _password_step(page, live_server.url, pierre.email)
    page.fill("#code", code_in(smtp_sink.wait_for(pierre.email)))
    page.check("#remember")
    with page.expect_navigation():
        page.click("#code-submit")
    page.goto(f"{live_server.url}/securite/")
    assert "Chrom" in page.inner_text("table.browsers")
    with page.expect_navigation():
        page.click("text=Déconnexion")
    mark = smtp_sink.count()
    _password_step(page, live_server.url, pierre.email)
    assert "/messagerie/" in page.url  # no code asked
    assert smtp_sink.count() == mark
    page.goto(f"{live_server.url}/securite/")
    with page.expect_navigation():
        page.click("text=Retirer ce navigateur")
    assert page.locator("#no-browser").is_visible()
    with page.expect_navigation():
        page.click("text=Déconnexion")
    _password_step(page, live_server.url, pierre.email)
    assert page.url.endswith("/connexion/code/")


def test_repeated_failures_lock_the_login(
    live_server: Any, page: Any, pierre: Account, settings: Any
) -> None:
    settings.LOCKOUT_THRESHOLD = 3
    settings.LOCKOUT_FREE_FAILURES = 5
    for _ in range(2):
        _password_step(page, live_server.url, pierre.email, "mauvais mot de passe")
        assert "Adresse mail ou mot de passe incorrect." in page.inner_text("main")
    _password_step(page, live_server.url, pierre.email, "mauvais mot de passe")
    assert "bloquée temporairement" in page.inner_text("main")
    _password_step(page, live_server.url, pierre.email)  # even the right password waits
    assert "bloquée temporairement" in page.inner_text("main")
    assert page.url.endswith("/connexion/")


def test_unknown_addresses_get_the_same_message(live_server: Any, page: Any, db: None) -> None:
    _password_step(page, live_server.url, "personne@ch-a.fr", "un mot de passe quelconque")
    assert "Adresse mail ou mot de passe incorrect." in page.inner_text("main")
