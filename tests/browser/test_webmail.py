"""The webmail in Chromium: compose with attachment, read, reply, move, bin, search, and
sending from an ORG mailbox after "Changer de compte"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.accounts.operations import mark_finalised
from caducee.audit.models import AuditEvent
from caducee.mail.models import Message
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def mail_store(settings: Any, tmp_path: Path) -> None:
    settings.MAIL_ROOT = tmp_path / "mail"


def person(structure: Structure, particle: str) -> Account:
    account = factories.make_account(
        structure, "PER", email=f"{particle}@perso.example.org", mssante_particle=particle
    )
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    mark_finalised(account)
    return account


def test_compose_read_reply_move_bin_and_search(
    live_server: Any, page: Any, browser: Any, structure_a: Structure, tmp_path: Path
) -> None:
    martine = person(structure_a, "martine.dubois")
    paul = person(structure_a, "paul.martin")
    report = tmp_path / "compte-rendu.pdf"
    report.write_bytes(b"%PDF-1.4 compte rendu")

    # Martine writes to Paul with an attachment.
    login(page, live_server.url, martine.email, PASSWORD)
    page.goto(f"{live_server.url}/messagerie/")
    page.click("text=Nouveau message Prof. Santé")
    page.fill("#to", "paul.martin@ch-a.mssante.fr")
    page.fill("#subject", "Compte rendu opératoire")
    page.fill("#body", "Bonjour Paul,\nvoici le compte rendu.")
    page.set_input_files("#attachments", str(report))
    with page.expect_navigation():
        page.click("button[name=send]")
    assert "Message envoyé." in page.inner_text("body")
    assert "Compte rendu opératoire" in page.inner_text(".mail-list")

    # Paul reads it (unread in bold first), downloads nothing, replies.
    other = browser.new_context(locale="fr-FR")
    other.set_default_timeout(15_000)
    tab = other.new_page()
    login(tab, live_server.url, paul.email, PASSWORD)
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    assert tab.locator("tr.unread").count() == 1
    with tab.expect_navigation():
        tab.click("text=Compte rendu opératoire")
    assert "voici le compte rendu." in tab.inner_text(".mail-body")
    assert tab.locator(".attachments a", has_text="compte-rendu.pdf").count() == 1
    with tab.expect_navigation():
        tab.click("text=Répondre")
    assert tab.input_value("#to").endswith("<martine.dubois@ch-a.mssante.fr>")
    assert tab.input_value("#subject") == "Re : Compte rendu opératoire"
    tab.fill("#body", "Merci, bien reçu.")
    with tab.expect_navigation():
        tab.click("button[name=send]")
    assert "Message envoyé." in tab.inner_text("body")

    # Paul files the message in a new folder, searches, then sends it to the bin.
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    tab.fill("#new-folder-pro", "Comptes rendus")
    with tab.expect_navigation():
        tab.click("section[data-space=pro] form.inline button")
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    tab.check("input[name=ids]")
    tab.select_option("#target", label="Comptes rendus")
    with tab.expect_navigation():
        tab.click("button[value=move]")
    assert "1 message(s) déplacé(s)." in tab.inner_text("body")
    with tab.expect_navigation():
        tab.click("text=Comptes rendus")
    tab.fill("#q", "opératoire")
    with tab.expect_navigation():
        tab.click(".mail-search button")
    assert "Compte rendu opératoire" in tab.inner_text(".mail-list")
    tab.fill("#q", "introuvable")
    with tab.expect_navigation():
        tab.click(".mail-search button")
    assert "Aucun message ne correspond" in tab.inner_text(".mail-list")
    tab.goto(f"{live_server.url}/messagerie/pro/inbox/")
    with tab.expect_navigation():
        tab.click("text=Comptes rendus")
    tab.check("input[name=ids]")
    with tab.expect_navigation():
        tab.click("button[value=trash]")
    assert Message.objects.get(mailbox=paul, subject="Compte rendu opératoire").folder == "trash"
    other.close()

    # Martine has the reply.
    page.goto(f"{live_server.url}/messagerie/pro/inbox/")
    assert "Re : Compte rendu opératoire" in page.inner_text(".mail-list")


def test_send_from_an_org_mailbox_after_switching(
    live_server: Any, page: Any, structure_a: Structure
) -> None:
    martine = person(structure_a, "martine.dubois")
    paul = person(structure_a, "paul.martin")
    secretariat = factories.make_account(
        structure_a,
        "ORG",
        email="secretariat@ch-a.example.org",
        mssante_particle="secretariat",
        connection_accounts=martine.email,
    )
    assert ConnectionLink.objects.filter(mailbox=secretariat, account=martine).exists()
    login(page, live_server.url, martine.email, PASSWORD)
    page.goto(f"{live_server.url}/messagerie/")
    page.click("#mailbox-menu")
    with page.expect_navigation():
        page.click(f"details.mailbox-menu button:has-text('{secretariat.email}')")
    page.goto(f"{live_server.url}/messagerie/")
    assert "secretariat@ch-a.mssante.fr" in page.inner_text(".mail-box")
    page.click("text=Nouveau message Prof. Santé")
    page.fill("#to", "paul.martin@ch-a.mssante.fr")
    page.fill("#subject", "Rendez-vous")
    with page.expect_navigation():
        page.click("button[name=send]")
    received = Message.objects.get(mailbox=paul, subject="Rendez-vous")
    assert "secretariat@ch-a.mssante.fr" in received.sender
    sent = Message.objects.get(mailbox=secretariat, folder="sent")
    assert sent.sender_person_id == martine.user_id
    event = AuditEvent.objects.get(action="mail.send", acting_as=secretariat.email)
    assert event.actor_id == martine.user_id
