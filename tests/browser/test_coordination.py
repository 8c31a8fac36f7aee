"""Seed 000 in Chromium: attach a contact, create its external account, follow the activation
email from the loopback SMTP sink, activate, log in as the partner, see only record A, and
lose access when the coordinator removes it (same open session)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from caducee.coordination import operations
from caducee.core.context import cli_context
from caducee.structures.models import Structure
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.coordination.conftest import make_record, member
from tests.smtp_sink import SmtpSink, url_in


@pytest.mark.browser
def test_external_partner_lifecycle(
    live_server: Any,
    browser: Any,
    page: Any,
    settings: Any,
    tmp_path: Any,
    structure_a: Structure,
    smtp_sink: SmtpSink,
) -> None:
    settings.BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "files"
    camille = member(structure_a, "camille.coord@ch-a.fr", "Coordinateur interne")
    record_a = make_record(structure_a, "Martin", "Jeanne", "12/03/1941")
    record_b = make_record(structure_a, "Durand", "Paul", "01/07/1950")
    operations.create_contact(
        cli_context(),
        structure_a,
        operations.ContactInput(
            last_name="Corre",
            first_name="François",
            profession="Médecin généraliste",
            email="francois.corre@cabinet-centre.fr",
        ),
    )
    base = live_server.url

    # The coordinator attaches Dr Corre to record A (Rattacher).
    login(page, base, camille.email, PASSWORD)
    page.goto(f"{base}/coordination/dossiers/{record_a.pk}/partenaires/")
    page.click("text=+ Rattacher")
    page.fill("#q", "Cor")
    page.check("input[name=contact]")  # waits for the search-as-you-type results
    page.click("#attach-results button:has-text('Ajouter')")
    page.select_option("#contact_type", label="Médecin traitant")
    page.click("button:has-text('Ajouter')")

    # The dialog offers to create the external account.
    dialog = page.locator("dialog.proposal")
    assert "n'a pas de compte" in dialog.inner_text()
    dialog.locator("a:has-text('Créer un compte externe')").click()
    assert page.input_value("#identifier") == "fcorre"
    page.select_option("#profile", label="Partenaire externe contributeur")
    page.click("button:has-text('Ajouter')")
    row = page.locator("table.partners tbody tr").first
    assert "Pas encore connecté" in row.inner_text()

    # The partner follows the emailed link, in a browser of their own.
    mail = smtp_sink.wait_for(
        "francois.corre@cabinet-centre.fr", match=lambda m: "Activez" in m.subject
    )
    partner_context = browser.new_context(locale="fr-FR")
    partner_context.set_default_timeout(15_000)
    partner = partner_context.new_page()
    partner.goto(url_in(mail))
    partner.fill("#last_name", "Corre")
    partner.fill("#first_name", "François")
    partner.click("button:has-text('Activer mon compte')")
    identifier = partner.inner_text("#identifier")
    password = partner.inner_text("#password")
    assert identifier == "fcorre" and len(password) >= 20
    assert "/connexion/" in partner.inner_text(".credentials")
    recap = smtp_sink.wait_for(
        "francois.corre@cabinet-centre.fr", match=lambda m: "activé" in m.subject
    )
    assert "fcorre" in recap.text and password not in recap.text

    # Back on the record: « Compte actif », green mark.
    page.reload()
    row = page.locator("table.partners tbody tr").first
    assert "Compte actif" in row.inner_text()
    assert row.locator(".mark.ok").count() == 1

    # The partner logs in (password + one-time code) and sees record A only.
    login(partner, base, "fcorre", password)
    partner.goto(f"{base}/coordination/")
    listing = partner.inner_text("table.records")
    assert "MARTIN" in listing and "DURAND" not in listing
    partner.click("text=MARTIN")
    assert "Jeanne" in partner.content()
    response = partner.goto(f"{base}/coordination/dossiers/{record_b.pk}/")
    assert response.status == 404 and "Page introuvable" in partner.content()
    record_url = f"{base}/coordination/dossiers/{record_a.pk}/liaison/"
    partner.goto(record_url)
    partner.fill("#text", "Ordonnance renouvelée.")
    partner.click("button:has-text('Ajouter au cahier')")
    assert "Ordonnance renouvelée." in partner.inner_text("ol.liaison")

    # The coordinator removes the access: the partner stays listed, with a red mark.
    row.locator("summary:has-text('Actions')").click()
    row.locator('button:has-text("Retirer l\'accès au dossier")').click()
    row = page.locator("table.partners tbody tr").first
    assert "Accès au dossier retiré" in row.inner_text()
    assert row.locator(".mark.off").count() == 1

    # The partner's open session loses the record at once.
    response = partner.goto(record_url)
    assert response.status == 404
    partner.goto(f"{base}/coordination/")
    assert not re.search("MARTIN", partner.inner_text("table.records"))
    partner_context.close()
