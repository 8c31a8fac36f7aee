"""« Rattacher à une autre structure » in the console: choice, preview, confirmation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.accounts.operations import add_connection_accounts
from caducee.core.context import cli_context
from caducee.directory.operations import set_quota
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(structure_a: Structure, structure_b: Structure) -> User:
    dora = factories.make_admin(structure_a, "dora@ch-a.fr", PASSWORD)
    StructureAdmin.objects.create(user=dora, structure=structure_b)
    return dora


def _url(account: Account) -> str:
    return reverse("console:account_move", args=[account.structure_id, account.pk])


def test_the_account_page_offers_the_action(client: Client, both: User) -> None:
    account = factories.make_account(Structure.objects.get(name="Centre hospitalier A"), "PER")
    client.force_login(both)
    page = client.get(reverse("console:account", args=[account.structure_id, account.pk]))
    assert "Rattacher à une autre structure" in page.content.decode()
    assert _url(account) in page.content.decode()


def test_preview_then_confirm(
    client: Client, both: User, structure_a: Structure, structure_b: Structure
) -> None:
    account = factories.make_account(structure_a, "PER", email="jeanne@x.fr")
    org = factories.make_account(structure_a, "ORG", email="secretariat@x.fr")
    add_connection_accounts(cli_context(), org, account.email)
    client.force_login(both)
    choice = client.get(_url(account)).content.decode()
    assert "Clinique B" in choice and "Ce qui va changer" not in choice
    preview = client.get(_url(account), {"structure": structure_b.pk}).content.decode()
    assert "Ce qui va changer" in preview
    assert "jeanne@x.fr n&#x27;est plus compte de connexion de la boîte secretariat@x.fr." in (
        preview
    )
    assert Account.objects.get(pk=account.pk).structure == structure_a
    response = client.post(_url(account), {"structure": structure_b.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "console:account", args=[structure_b.pk, account.pk]
    )
    page = response.content.decode()
    assert "Le compte jeanne@x.fr est rattaché à Clinique B." in page
    assert "Liens retirés (ils reliaient deux structures)" in page
    assert Account.objects.get(pk=account.pk).structure == structure_b


def test_a_refusal_is_shown_on_the_page(
    client: Client, operator: User, structure_a: Structure, structure_b: Structure
) -> None:
    set_quota(cli_context(), structure_b, "PER_INT", 0)
    account = factories.make_account(structure_a, "PER")
    client.force_login(operator)
    page = client.post(_url(account), {"structure": structure_b.pk}).content.decode()
    assert "Quota « Personnel et personnel interne » atteint pour Clinique B" in page
    assert Account.objects.get(pk=account.pk).structure == structure_a


def test_an_admin_of_one_structure_is_told_who_may_move(
    client: Client, alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    account = factories.make_account(structure_a, "PER")
    client.force_login(alice)
    page = client.get(_url(account), {"structure": structure_b.pk}).content.decode()
    assert "Vous n'administrez aucune autre structure" in page
    client.post(_url(account), {"structure": structure_b.pk})
    assert Account.objects.get(pk=account.pk).structure == structure_a
