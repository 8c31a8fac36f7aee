"""Security headers: a strict CSP everywhere, `no-store` on pages that show a secret (L8)."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.core.headers import API_DOCS_POLICY, POLICY
from caducee.identity import links
from caducee.identity.models import LinkPurpose
from caducee.identity.operations import issue_reset_link
from caducee.mail.views import CSP as WEBMAIL_CSP
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD

INLINE = (r"<script(?![^>]*\bsrc=)", r"\son[a-z]+=", r"hx-on", r"\sstyle=", r"<style")
TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "caducee" / "templates"


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_every_page_gets_a_strict_policy(client: Client, db: None) -> None:
    response = client.get("/connexion/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert policy["object-src"] == "'none'"
    for path in ("/mot-de-passe-oublie/", "/cgu/", "/page-qui-n-existe-pas/", "/api/v1/structures"):
        assert client.get(path)["Content-Security-Policy"] == POLICY


def test_a_redirect_from_the_session_middleware_has_it_too(client: Client, db: None) -> None:
    response = client.get("/securite/")
    assert response.status_code == 302
    assert response["Content-Security-Policy"] == POLICY


def test_the_webmail_keeps_its_own_policy(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="pierre.martin@ch-a.fr")
    assert account.user is not None
    client = Client()
    client.force_login(account.user)
    response = client.get("/messagerie/", follow=True)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == WEBMAIL_CSP


def test_the_api_docs_load_nothing_from_a_cdn(client: Client, db: None) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_DOCS_POLICY
    page = response.content.decode()
    assert "cdn.jsdelivr.net" not in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/ninja/") for src in scripts)
    assert client.get(scripts[0]).status_code == 200


def test_templates_have_no_inline_script_or_style() -> None:
    """What the policy would block: inline scripts, event handlers, hx-on, style attributes."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "emails" in path.parts:
            continue  # emails are read in a mail client, not served under the CSP
        text = path.read_text()
        for pattern in INLINE:
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


# --- no-store on pages that show or receive a secret -----------------------------------


def _no_store(response: object) -> bool:
    value = response["Cache-Control"]  # type: ignore[index]
    return "no-store" in value and "private" in value


@pytest.fixture
def person(structure_a: Structure) -> Account:
    account = factories.make_account(structure_a, "PER", email="pierre.martin@ch-a.fr")
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    return account


def test_secret_pages_are_not_stored(client: Client, person: Account) -> None:
    assert person.user is not None
    client.force_login(person.user)
    assert _no_store(client.get("/securite/application/"))
    page = client.post("/messagerie/mots-de-passe-application/", {"label": "Thunderbird"})
    assert 'id="app-password"' in page.content.decode() and _no_store(page)
    assert _no_store(client.get("/messagerie/mots-de-passe-application/"))
    assert "no-store" not in client.get("/securite/").get("Cache-Control", "")


def test_link_pages_are_not_stored(client: Client, person: Account, operator: User) -> None:
    assert person.user is not None
    reset = issue_reset_link(cli_context(), person.user)
    assert _no_store(client.get("/" + reset.split("://", 1)[1].split("/", 1)[1]))
    token = links.issue(LinkPurpose.SET_PASSWORD, person.user)
    assert _no_store(client.get(f"/mot-de-passe/{token}/"))
    assert _no_store(client.get("/finaliser/inconnu/"))  # even the dead-link answer
    assert _no_store(client.get("/installation/inconnu/"))
