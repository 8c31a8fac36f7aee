"""A delegate in Chromium: the admin adds the delegation (« Lecture et réponse pour le compte
de »), the delegate opens the doctor's mailbox with « Changer de compte », reads, replies on
behalf; the admin removes the delegation and the delegate's next click is refused."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Delegation
from caducee.audit.models import AuditEvent
from caducee.mail import mime, operations, store
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import helpers
from tests.browser.conftest import login
from tests.browser.test_webmail import person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def mail_store(settings: Any, tmp_path: Path) -> None:
    settings.MAIL_ROOT = tmp_path / "mail"


def test_a_delegate_reads_and_replies_on_behalf_until_removed(
    live_server: Any, page: Any, browser: Any, alice: User, structure_a: Structure
) -> None:
    doctor = person(structure_a, "martine.dubois")
    secretary = person(structure_a, "paul.martin")
    lab = person(structure_a, "jean.labo")
    assert lab.user is not None and secretary.user is not None
    draft = mime.Draft(sender="", to=[doctor.email], subject="Résultats de M. X", body="Ci-joint")
    operations.send_message(helpers.ctx_for(lab.user, lab), lab, draft, space="pro")

    # The admin adds the delegate with « Lecture et réponse pour le compte de ».
    login(page, live_server.url, alice.email, PASSWORD)
    account_page = (
        f"{live_server.url}/console/structures/{structure_a.pk}/utilisateurs/{doctor.pk}/"
    )
    page.goto(account_page)
    page.fill("#delegate-email", secretary.email)
    page.select_option("#delegate-right", "reponse")
    with page.expect_navigation():
        page.click("text=Ajouter un compte délégué")
    assert "Il y a 1 délégué(s) associé(s) à ce compte." in page.content()
    assert Delegation.objects.get().right == "reponse"

    # The secretary opens the doctor's mailbox with « Changer de compte ».
    other = browser.new_context(locale="fr-FR")
    other.set_default_timeout(15_000)
    tab = other.new_page()
    login(tab, live_server.url, secretary.email, PASSWORD)
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    tab.click("#mailbox-menu")
    with tab.expect_navigation():
        tab.click(f"details.mailbox-menu button:has-text('{doctor.email}')")
    assert tab.inner_text("#mailbox-menu") == doctor.email
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    assert "Boîte ouverte en tant que délégué" in tab.inner_text("#delegation")
    assert tab.locator("text=Nouveau message Prof. Santé").count() == 0
    assert tab.locator("button[value=trash]").count() == 0
    with tab.expect_navigation():
        tab.click("text=Résultats de M. X")
    assert "Ci-joint" in tab.inner_text(".mail-body")
    assert tab.locator("text=Transférer").count() == 0
    with tab.expect_navigation():
        tab.click("a:has-text('Répondre') >> nth=0")
    tab.fill("#body", "Bien reçu, le docteur vous rappelle.")
    with tab.expect_navigation():
        tab.click("button[name=send]")
    assert "Message envoyé." in tab.inner_text("body")
    reply = Message.objects.get(mailbox=lab, folder="inbox")
    headers = BytesHeaderParser().parsebytes(store.read(reply.path))
    assert "<martine.dubois@ch-a.mssante.fr>" in headers["From"]
    assert "<paul.martin@ch-a.mssante.fr>" in headers["Sender"]
    send = AuditEvent.objects.filter(action="mail.send").order_by("-seq").first()
    assert send is not None and send.actor_id == secretary.user.pk
    assert send.acting_as == doctor.email

    # The admin removes the delegate; the secretary's next click is refused.
    page.goto(account_page)
    with page.expect_navigation():
        page.click(f"button[aria-label='Retirer le délégué {secretary.email}']")
    assert "Il y a 0 délégué(s) associé(s) à ce compte." in page.content()
    with tab.expect_navigation():
        tab.click(".mail-space[data-space=pro] a:has-text('Boîte de réception')")
    assert "ne vous est plus accessible" in tab.inner_text("body")
    assert tab.inner_text("#mailbox-menu") == secretary.email
    assert "Résultats de M. X" not in tab.inner_text("body")
    other.close()
