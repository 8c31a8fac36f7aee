"""Finalising an account from the emailed link, in Chromium; expired links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import create_account
from caducee.core.context import cli_context
from caducee.identity.models import ActionLink
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.smtp_sink import SmtpSink, url_in

pytestmark = pytest.mark.browser
NEW = "une phrase de passe pour Caducée"


def _invite(structure: Structure, sink: SmtpSink, email: str, base_url: str) -> str:
    create_account(cli_context(), structure, factories.account_data("MED", email), notify=True)
    url = url_in(sink.wait_for(email))
    return base_url + "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_finalise_then_log_in(
    live_server: Any, page: Any, structure_a: Structure, smtp_sink: SmtpSink
) -> None:
    link = _invite(structure_a, smtp_sink, "sophie.secretaire@ch-a.fr", live_server.url)
    page.goto(link)
    assert "Finalisez votre compte Caducée" in page.inner_text("h1")
    page.fill("#password", NEW)
    page.fill("#confirm", NEW + " différent")
    page.fill("#phone1", "06 12")
    page.check("#cgu")
    with page.expect_navigation():
        page.click("button[type=submit]")
    text = page.inner_text("main")
    assert "Les deux mots de passe diffèrent" in text
    page.fill("#password", NEW)
    page.fill("#confirm", NEW)
    page.fill("#phone1", "0612345678")
    page.check("#cgu")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Votre compte est finalisé" in page.inner_text("main")
    assert page.input_value("#email") == "sophie.secretaire@ch-a.fr"
    account = Account.objects.get(email="sophie.secretaire@ch-a.fr")
    assert account.state == AccountState.VALID and account.visible
    assert account.phone1 == "0612345678"
    login(page, live_server.url, account.email, NEW)
    assert "/messagerie/" in page.url
    page.goto(link)
    assert "Ce lien a déjà été utilisé." in page.inner_text("main")


def test_an_expired_link_says_what_to_do(
    live_server: Any, page: Any, structure_a: Structure, smtp_sink: SmtpSink
) -> None:
    link = _invite(structure_a, smtp_sink, "tard@ch-a.fr", live_server.url)
    ActionLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page.goto(link)
    text = page.inner_text("main")
    assert "Ce lien a expiré." in text
    assert "Demandez à l'administrateur de votre structure de vous renvoyer un lien" in text
