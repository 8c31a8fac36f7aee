"""An admin reminds the pre-registered users from the console's Actions menu, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.identity.models import Reminder
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.browser


def test_remind_from_the_actions_menu(
    live_server: Any, page: Any, alice: User, structure_a: Structure, smtp_sink: SmtpSink
) -> None:
    waiting = factories.make_account(structure_a, "MED", email="attente@ch-a.fr")
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/{structure_a.pk}/utilisateurs/")
    page.click("text=Actions")
    assert page.locator("#remind-preregistered").inner_text() == (
        "Relancer vos utilisateurs préinscrits"
    )
    with page.expect_navigation():
        page.click("#remind-preregistered")
    text = page.inner_text("main")
    assert "Un nouveau lien de finalisation a été envoyé à 1 utilisateur préinscrit." in text
    assert waiting.email in page.inner_text("table")
    assert smtp_sink.wait_for(waiting.email).subject.startswith("Finalisez votre compte")
    reminder = Reminder.objects.get()
    from django.utils import timezone

    when = timezone.localtime(reminder.created_at)
    stamp = f"Dernière relance le : {when:%d/%m/%Y} à {when:%H:%M:%S}"
    assert stamp in page.inner_text("#last-reminder")
    page.goto(f"{live_server.url}/console/structures/{structure_a.pk}/utilisateurs/")
    page.click("text=Actions")
    assert f"({stamp})" in page.locator("#remind-preregistered").inner_text()
    page.click("text=Afficher la dernière relance de vos utilisateurs préinscrits")
    page.wait_for_url("**/derniere-relance/")
    assert waiting.email in page.inner_text("main")
