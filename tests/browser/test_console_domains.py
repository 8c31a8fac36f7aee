"""The operator declares a shared domain and puts a pharmacy on it, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.people.models import User
from caducee.structures.models import PlatformDomain, Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

SHARED = "pharmacien.oc.mssante.fr"


@pytest.mark.browser
def test_the_operator_declares_a_shared_domain(live_server: Any, page: Any, operator: User) -> None:
    pharmacy = factories.make_structure("Pharmacie du Centre", domain="", department="81")
    login(page, live_server.url, operator.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/")
    with page.expect_navigation():
        page.click("text=Domaines MSSanté")
    page.fill("#id_name", "pharmacien.example.org")
    page.check("#id_shared")
    with page.expect_navigation():
        page.click("text=Déclarer le domaine")
    assert "se termine par .mssante.fr" in page.locator("#champ-name .field-error").inner_text()
    page.fill("#id_name", SHARED)
    page.check("#id_shared")
    with page.expect_navigation():
        page.click("text=Déclarer le domaine")
    assert f"Le domaine {SHARED} (partagé) est déclaré." in page.content()
    assert PlatformDomain.objects.get(name=SHARED).shared

    page.goto(f"{live_server.url}/console/structures/{pharmacy.pk}/parametrage/")
    page.fill("#id_domain", SHARED)
    with page.expect_navigation():
        page.click("text=Enregistrer la structure")
    assert Structure.objects.get(pk=pharmacy.pk).domain == SHARED
    page.goto(f"{live_server.url}/console/structures/{pharmacy.pk}/")
    assert "(domaine partagé de la plateforme)" in page.content()
