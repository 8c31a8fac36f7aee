"""The operator creates a structure and appoints its admin, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_the_operator_creates_a_structure(live_server: Any, page: Any, operator: User) -> None:
    login(page, live_server.url, operator.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/")
    with page.expect_navigation():
        page.click("text=Créer une structure")
    page.fill("#id_name", "Centre de santé du Port")
    page.select_option("#id_id_type", "SIRET")
    page.fill("#id_id_number", "73282932000075")  # wrong check digit
    page.fill("#id_domain", "cds-port.mssante.fr")
    page.fill("#id_postal_code", "13002")
    page.fill("#id_city", "Marseille")
    page.select_option("#id_department", label="Bouches-du-Rhône")
    with page.expect_navigation():
        page.click("text=Créer la structure")
    error = page.locator("#champ-id_number .field-error")
    assert error.count() == 1 and error.inner_text()
    assert not Structure.objects.filter(name="Centre de santé du Port").exists()

    page.fill("#id_id_number", factories.siret())
    with page.expect_navigation():
        page.click("text=Créer la structure")
    assert "La structure « Centre de santé du Port » a été créée." in page.content()
    structure = Structure.objects.get(name="Centre de santé du Port")
    assert (structure.department, structure.region, structure.city) == ("13", "93", "MARSEILLE")

    page.fill("#id_email", "directrice@cds-port.fr")
    with page.expect_navigation():
        page.click("text=Nommer administrateur")
    link = page.locator("#password-link").inner_text()
    assert "/mot-de-passe/" in link
    assert StructureAdmin.objects.filter(
        structure=structure, user__email="directrice@cds-port.fr"
    ).exists()
