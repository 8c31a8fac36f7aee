"""An admin creates one account of each type through the console form, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

COMMON = {
    "#id_postal_code": "75012",
    "#id_city": "Paris",
}


def _fill_common(page: Any, email: str, last: str, first: str, profession: str) -> None:
    page.fill("#id_email", email)
    page.fill("#id_last_name", last)
    page.fill("#id_first_name", first)
    for selector, value in COMMON.items():
        page.fill(selector, value)
    page.select_option("#id_department", label="Paris")
    page.select_option("#id_profession", label=profession)
    page.select_option("#id_liberal", "NON")


def _open_form(page: Any, base: str, structure: Structure, kind: str) -> None:
    page.goto(f"{base}/console/structures/{structure.pk}/utilisateurs/")
    page.click("summary:has-text('Actions')")
    with page.expect_navigation():
        page.click("text=Créer un nouvel utilisateur")
    with page.expect_navigation():
        page.click(f"a.button:has-text('BAL {kind}')")
    assert f"Ajouter un utilisateur — BAL {kind}" in page.locator("h1").inner_text()


def _save(page: Any) -> None:
    with page.expect_navigation():
        page.click("text=Enregistrer l'utilisateur")


def _fill_responsible(page: Any) -> None:
    page.select_option("#id_resp_structure_id_type", "FINESS")
    page.fill("#id_resp_structure_id", factories.finess())
    page.fill("#id_resp_last_name", "Martin")
    page.fill("#id_resp_first_name", "Paul")
    page.select_option("#id_resp_profession", label="Médecin")
    page.fill("#id_resp_identifier", factories.rpps())
    page.fill("#id_description", "Secrétariat de cardiologie")


@pytest.mark.browser
def test_an_admin_creates_one_account_of_each_type(
    live_server: Any, page: Any, alice: User, structure_a: Structure
) -> None:
    base = live_server.url
    login(page, base, alice.email, PASSWORD)

    # PER: a mandatory field forgotten first, the error shows beside it.
    _open_form(page, base, structure_a, "PER")
    assert page.locator("#id_rpps").count() == 1
    assert page.locator("#id_civility").count() == 0  # not concerned for PER
    _fill_common(page, "marie.curie@ch-a.fr", "Curie", "Marie", "Médecin")
    _save(page)
    assert "RPPS ou ADELI" in page.locator("#champ-rpps .field-error").inner_text()
    page.fill("#id_rpps", factories.rpps())
    _save(page)
    assert "Le compte marie.curie@ch-a.fr a été créé (Préinscrit)." in page.content()
    assert "mis en majuscules" in page.content()  # Curie → CURIE, reported

    # INT
    _open_form(page, base, structure_a, "INT")
    _fill_common(page, "interne@ch-a.fr", "Interne", "Ines", "Médecin")
    page.select_option("#id_resp_structure_id_type", "FINESS")
    page.fill("#id_resp_structure_id", factories.finess())
    page.select_option("#id_civility", label="Docteur")
    _save(page)
    assert "Le compte interne@ch-a.fr a été créé (Préinscrit)." in page.content()

    # MED
    _open_form(page, base, structure_a, "MED")
    assert page.locator("#id_rpps").count() == 0
    _fill_common(page, "secretaire@ch-a.fr", "Martin", "Louise", "Secrétaire médical(e)")
    _save(page)
    assert "Le compte secretaire@ch-a.fr a été créé (Préinscrit)." in page.content()

    # ORG, opened through the MED account created above.
    _open_form(page, base, structure_a, "ORG")
    _fill_common(page, "secretariat@ch-a.fr", "Secrétariat", "Cardiologie", "Médecin")
    _fill_responsible(page)
    page.locator("#id_connection_accounts").press_sequentially("secret", delay=30)
    page.locator("#suggestions-connection_accounts li[data-email='secretaire@ch-a.fr']").click()
    assert page.input_value("#id_connection_accounts").startswith("secretaire@ch-a.fr")
    _save(page)
    assert "Le compte secretariat@ch-a.fr a été créé (Valide)." in page.content()
    assert "Il y a 1 compte(s) de connexion associé(s) à ce compte." in page.content()

    # APP
    _open_form(page, base, structure_a, "APP")
    _fill_common(page, "robot@ch-a.fr", "Laboratoire", "Comptes rendus", "Médecin")
    _fill_responsible(page)
    _save(page)
    assert "Le compte robot@ch-a.fr a été créé (Valide)." in page.content()

    accounts = {a.email: a for a in Account.objects.filter(structure=structure_a)}
    assert {a.type for a in accounts.values()} == {"PER", "INT", "MED", "ORG", "APP"}
    assert accounts["marie.curie@ch-a.fr"].state == AccountState.PREREGISTERED
    assert accounts["robot@ch-a.fr"].state == AccountState.VALID

    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/")
    assert "Utilisateurs préinscrits <strong>3</strong>" in page.content()
