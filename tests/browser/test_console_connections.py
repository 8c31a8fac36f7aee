"""Connection accounts of an ORG mailbox and the default account, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.fixture
def accounts(structure_a: Structure) -> dict[str, Account]:
    med = factories.make_account(structure_a, "MED", "secretaire@ch-a.fr", last_name="MARTIN")
    per = factories.make_account(structure_a, "PER", "jeanne.dupont@ch-a.fr")
    org = factories.make_account(
        structure_a, "ORG", "secretariat@ch-a.fr", connection_accounts=med.email
    )
    return {"med": med, "per": per, "org": org}


@pytest.mark.browser
def test_add_and_remove_a_connection_account(
    live_server: Any, page: Any, alice: User, structure_a: Structure, accounts: dict[str, Account]
) -> None:
    org, per, med = accounts["org"], accounts["per"], accounts["med"]
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/{structure_a.pk}/utilisateurs/{org.pk}/")
    assert "Il y a 1 compte(s) de connexion associé(s) à ce compte." in page.content()

    page.locator("#connection-emails").press_sequentially("jeanne", delay=30)
    suggestion = page.locator(f"#connection-suggestions li[data-email='{per.email}']")
    suggestion.wait_for()
    assert page.locator(f"#connection-suggestions li[data-email='{org.email}']").count() == 0
    suggestion.click()
    assert page.input_value("#connection-emails").startswith(per.email)
    with page.expect_navigation():
        page.click("text=Ajouter un compte existant")
    assert "Il y a 2 compte(s) de connexion associé(s) à ce compte." in page.content()
    assert ConnectionLink.objects.filter(mailbox=org, account=per).exists()

    with page.expect_navigation():
        page.click(f"button[aria-label='Retirer {med.email}']")
    assert "Il y a 1 compte(s) de connexion associé(s) à ce compte." in page.content()
    assert not ConnectionLink.objects.filter(mailbox=org, account=med).exists()


@pytest.mark.browser
def test_set_the_default_account(
    live_server: Any, page: Any, alice: User, structure_a: Structure, accounts: dict[str, Account]
) -> None:
    org, med = accounts["org"], accounts["med"]
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/{structure_a.pk}/utilisateurs/{med.pk}/")
    sentence = page.locator("#default-mailbox-sentence")
    assert f"le compte {med.email} sera affiché par défaut" in sentence.inner_text()
    page.check(f"input[name=default][value='{org.pk}']")
    page.check(f"input[name=notify][value='{org.pk}']")
    with page.expect_navigation():
        page.click("text=Enregistrer les comptes de connexion")
    assert f"le compte {org.email} sera affiché par défaut" in sentence.inner_text()
    assert page.is_checked(f"input[name=default][value='{org.pk}']")
    med.refresh_from_db()
    assert med.default_mailbox == org
    assert ConnectionLink.objects.get(mailbox=org, account=med).notify_on_receipt
