"""A structure admin edits « Paramétrage de la structure » in Chromium (issue #15, point 6)."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_an_admin_edits_the_structure_contact(
    live_server: Any, page: Any, alice: User, structure_a: Structure
) -> None:
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/{structure_a.pk}/")
    with page.expect_navigation():
        page.click("nav.side >> text=Paramétrage de la structure")
    assert page.locator("#id_domain").is_disabled()
    assert page.locator("#id_id_number").is_disabled()
    assert "gérés par l'opérateur de la plateforme" in page.inner_text("#ownership-hint")
    page.fill("#id_phone", "05 63 00 00 00")
    page.fill("#id_contact_name", "Mme Durand, cadre de santé")
    page.fill("#id_contact_email", "pas-une-adresse")
    with page.expect_navigation():
        page.click("text=Enregistrer la structure")
    assert page.locator("#champ-contact_email .field-error").count() == 1
    page.fill("#id_contact_email", "secretariat@ch-a.fr")
    with page.expect_navigation():
        page.click("text=Enregistrer la structure")
    assert "La structure a été enregistrée." in page.content()
    structure_a.refresh_from_db()
    assert (structure_a.phone, structure_a.contact_email) == ("0563000000", "secretariat@ch-a.fr")
    assert structure_a.domain == "ch-a.mssante.fr"
    event = AuditEvent.objects.get(action="structure.update")
    assert event.actor == alice
