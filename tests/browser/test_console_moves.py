"""« Rattacher à une autre structure »: an admin of two structures moves an account, in
Chromium: the choice, the preview with the links to detach, the confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.accounts.operations import add_connection_accounts
from caducee.core.context import cli_context
from caducee.directory.operations import assign_mssante_address
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_an_admin_of_both_structures_moves_an_account(
    live_server: Any, page: Any, structure_a: Structure, structure_b: Structure
) -> None:
    dora: User = factories.make_admin(structure_a, "dora@ch-a.fr", PASSWORD)
    StructureAdmin.objects.create(user=dora, structure=structure_b)
    account = factories.make_account(
        structure_a, "PER", "jeanne@x.fr", first_name="Jeanne", last_name="Moulin"
    )
    assign_mssante_address(cli_context(), account, None)
    org = factories.make_account(structure_a, "ORG", "secretariat@x.fr")
    add_connection_accounts(cli_context(), org, account.email)

    base = live_server.url
    login(page, base, dora.email, PASSWORD)
    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/{account.pk}/")
    with page.expect_navigation():
        page.click("text=Rattacher à une autre structure")
    assert page.locator("h1").inner_text() == "Rattacher à une autre structure"
    page.select_option("#move-structure", label="Clinique B (clinique-b.mssante.fr)")
    with page.expect_navigation():
        page.click("text=Voir ce qui va changer")
    preview = page.locator("#apercu").inner_text()
    assert "jeanne.moulin@ch-a.mssante.fr → jeanne.moulin@clinique-b.mssante.fr" in preview
    assert "jeanne@x.fr n'est plus compte de connexion de la boîte secretariat@x.fr." in (
        page.locator("#liens-retires").inner_text()
    )
    assert Account.objects.get(pk=account.pk).structure == structure_a

    with page.expect_navigation():
        page.click("text=Rattacher à Clinique B")
    assert page.url.endswith(f"/console/structures/{structure_b.pk}/utilisateurs/{account.pk}/")
    notices = page.locator("ul.messages").inner_text()
    assert "Le compte jeanne@x.fr est rattaché à Clinique B." in notices
    assert "secretariat@x.fr" in page.locator("ul.messages li.warning").first.inner_text()
    assert Account.objects.get(pk=account.pk).structure == structure_b
    assert not ConnectionLink.objects.filter(mailbox=org, account=account).exists()
