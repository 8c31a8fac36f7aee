"""Console: the account list (« Expire bientôt », « Supprimé »), the account page's block,
the exemption and the export download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account, AccountState
from caducee.lifecycle.rules import today
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import client_for
from tests.lifecycle.test_operations import ACTIVE, inactive_since

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(structure_a: Structure) -> dict[str, Account]:
    made = {
        "soon": factories.make_account(structure_a, "PER", "bientot@example.org"),
        "later": factories.make_account(structure_a, "PER", "plus-tard@example.org"),
        "gone": factories.make_account(structure_a, "PER", "parti@example.org"),
    }
    Account.objects.filter(pk=made["soon"].pk).update(expiry_date=today() + timedelta(days=12))
    Account.objects.filter(pk=made["later"].pk).update(expiry_date=today() + timedelta(days=90))
    Account.objects.filter(pk=made["gone"].pk).update(state=AccountState.DELETED)
    return made


def test_list_filters_expiring_soon_and_hides_deleted(
    alice: User, structure_a: Structure, accounts: dict[str, Account]
) -> None:
    client = client_for(alice)
    url = reverse("console:accounts", args=[structure_a.pk])
    page = client.get(url).content.decode()
    assert "parti@example.org" not in page
    assert "Utilisateurs supprimés <strong>1</strong>" in page
    assert "Expire bientôt <strong>1</strong>" in page
    assert "(dans 12 j)" in page
    soon = client.get(url, {"expire": "bientot"}).content.decode()
    assert "bientot@example.org" in soon and "plus-tard@example.org" not in soon
    deleted = client.get(url, {"etat": "supprime"}).content.decode()
    assert "parti@example.org" in deleted and "bientot@example.org" not in deleted


def test_account_page_shows_days_left_and_exemption_round_trip(
    alice: User, structure_a: Structure, accounts: dict[str, Account]
) -> None:
    client = client_for(alice)
    account = accounts["soon"]
    url = reverse("console:account", args=[structure_a.pk, account.pk])
    assert "12 jours restants" in client.get(url).content.decode()
    response = client.post(
        reverse("lifecycle:exempt", args=[structure_a.pk, account.pk]), {"reason": "Garde"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#cycle-de-vie")
    account.refresh_from_db()
    assert account.inactivity_exempt_reason == "Garde"
    assert "exempté — motif : Garde" in client.get(response["Location"]).content.decode()
    client.post(reverse("lifecycle:unexempt", args=[structure_a.pk, account.pk]))
    account.refresh_from_db()
    assert account.inactivity_exempt_reason == ""
    response = client.post(
        reverse("lifecycle:exempt", args=[structure_a.pk, account.pk]), {"reason": ""}, follow=True
    )
    assert "Indiquez le motif" in response.content.decode()


def test_deleted_account_page_is_a_tombstone(
    alice: User, structure_a: Structure, accounts: dict[str, Account]
) -> None:
    page = client_for(alice).get(
        reverse("console:account", args=[structure_a.pk, accounts["gone"].pk])
    )
    text = page.content.decode()
    assert "Ce compte est supprimé" in text
    assert "Désactiver le compte" not in text and "Réactiver le compte" not in text
    assert "Enregistrer l'utilisateur" not in text and "Changer le type de BAL" not in text


def test_export_download(alice: User, structure_a: Structure) -> None:
    inactive_since(factories.make_account(structure_a, "PER", "idle@example.org"), ACTIVE)
    response = client_for(alice).get(reverse("lifecycle:export", args=[structure_a.pk, "csv"]))
    assert response.status_code == 200
    assert "comptes-inactifs" in response["Content-Disposition"]
    assert "idle@example.org" in response.content.decode("utf-8-sig")


def test_another_structure_gets_404(
    bob: User, structure_a: Structure, accounts: dict[str, Account], client: Client
) -> None:
    client = client_for(bob)
    account = accounts["soon"]
    urls = [
        reverse("lifecycle:exempt", args=[structure_a.pk, account.pk]),
        reverse("lifecycle:unexempt", args=[structure_a.pk, account.pk]),
    ]
    for url in urls:
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(reverse("lifecycle:export", args=[structure_a.pk, "csv"])).status_code == 404
    account.refresh_from_db()
    assert account.inactivity_exempt_reason == ""
