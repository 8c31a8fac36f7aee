"""« Gestion des comptes de connexion », default mailbox, notifications and delegates."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account, AccountState, ConnectionLink, Delegation
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def _url(name: str, account: Account, *extra: int) -> str:
    return reverse(f"console:{name}", args=[account.structure_id, account.pk, *extra])


def _candidates(client: Client, structure: Structure, **params: str) -> str:
    response = client.get(reverse("console:candidates", args=[structure.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_org_page_lists_its_connection_accounts(
    client: Client, alice: User, org_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account", org_a)).content.decode()
    assert "Gestion des comptes de connexion" in page
    assert "Il y a 1 compte(s) de connexion associé(s) à ce compte." in page
    assert med_a.email in page
    assert "La recherche en cours de frappe est limitée à 50 réponses." in page
    assert "Ajouter un compte de connexion (compte nominatif de type PER, INT ou MED)" in page


def test_add_several_connection_accounts_at_once(
    client: Client, alice: User, org_a: Account, per_a: Account, structure_a: Structure
) -> None:
    other = factories.make_account(structure_a, "INT", "interne@ch-a.fr")
    client.force_login(alice)
    response = client.post(
        _url("connection_add", org_a), {"emails": f"{per_a.email}, {other.email}"}
    )
    assert response["Location"].endswith("#connexions")
    emails = set(org_a.connection_links.values_list("account__email", flat=True))
    assert emails == {per_a.email, other.email, "secretaire@ch-a.fr"}


def test_adding_an_unknown_or_shared_account_is_refused(
    client: Client, alice: User, org_a: Account, structure_a: Structure
) -> None:
    app = factories.make_account(structure_a, "APP", "robot@ch-a.fr")
    client.force_login(alice)
    response = client.post(
        _url("connection_add", org_a), {"emails": f"inconnu@ch-a.fr, {app.email}"}, follow=True
    )
    page = response.content.decode()
    assert "Aucun compte inconnu@ch-a.fr dans vos structures" in page
    assert "seul un compte nominatif PER, INT ou MED" in page
    assert org_a.connection_links.count() == 1


def test_an_account_of_another_structure_cannot_be_added(
    client: Client, alice: User, org_a: Account, per_b: Account
) -> None:
    client.force_login(alice)
    client.post(_url("connection_add", org_a), {"emails": per_b.email})
    assert not ConnectionLink.objects.filter(account=per_b).exists()


def test_remove_a_connection_account(
    client: Client, alice: User, org_a: Account, med_a: Account, per_a: Account
) -> None:
    client.force_login(alice)
    client.post(_url("connection_add", org_a), {"emails": per_a.email})
    client.post(_url("connection_remove", org_a, med_a.pk))
    assert list(org_a.connection_links.values_list("account__email", flat=True)) == [per_a.email]


def test_the_last_connection_account_of_an_org_stays(
    client: Client, alice: User, org_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = client.post(_url("connection_remove", org_a, med_a.pk), follow=True).content.decode()
    assert "doit garder au moins un compte de connexion" in page
    assert org_a.connection_links.count() == 1


def test_suggestions_search_nominative_accounts_of_my_structures(
    client: Client,
    alice: User,
    structure_a: Structure,
    per_a: Account,
    org_a: Account,
    per_b: Account,
) -> None:
    client.force_login(alice)
    page = _candidates(client, structure_a, emails="ch-")
    assert per_a.email in page
    assert "secretaire@ch-a.fr" in page
    assert org_a.email not in page  # an ORG cannot be a connection account
    page = _candidates(client, structure_a, emails="clinique-b")
    assert per_b.email not in page
    assert "Aucun compte nominatif ne correspond" in page


def test_suggestions_use_the_part_after_the_last_comma(
    client: Client, alice: User, structure_a: Structure, per_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = _candidates(client, structure_a, emails=f"{per_a.email}, secr")
    assert med_a.email in page
    assert per_a.email not in page


def test_suggestions_stop_at_50(client: Client, alice: User, structure_a: Structure) -> None:
    Account.objects.bulk_create(
        Account(
            structure=structure_a,
            email=f"agent{n:03d}@ch-a.fr",
            last_name="AGENT",
            first_name="A",
            type="MED",
            state=AccountState.VALID,
        )
        for n in range(70)
    )
    client.force_login(alice)
    page = _candidates(client, structure_a, emails="agent")
    assert page.count('role="option"') == 50
    assert "Seules les 50 premières réponses sont affichées" in page


def test_the_operator_gets_suggestions_from_every_structure(
    client: Client, operator: User, structure_a: Structure, per_b: Account
) -> None:
    client.force_login(operator)
    assert per_b.email in _candidates(client, structure_a, emails="paul")


def test_a_nominative_account_sees_the_mailboxes_it_can_open(
    client: Client, alice: User, org_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account", med_a)).content.decode()
    assert "Définir comme compte par défaut" in page
    assert "Notif de réception vers compte de connexion" in page
    assert org_a.email in page
    assert (
        f"A la prochaine connexion avec l'identifiant {med_a.email}, le compte "
        f"{med_a.email} sera affiché par défaut." in page
    )


def test_set_the_default_mailbox_and_notifications(
    client: Client, alice: User, org_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    response = client.post(
        _url("mailbox_settings", med_a),
        {"default": str(org_a.pk), "notify": [str(org_a.pk)]},
        follow=True,
    )
    med_a.refresh_from_db()
    assert med_a.default_mailbox == org_a
    assert ConnectionLink.objects.get(mailbox=org_a, account=med_a).notify_on_receipt
    assert f"le compte {org_a.email} sera affiché par défaut" in response.content.decode()
    client.post(_url("mailbox_settings", med_a), {"default": str(med_a.pk)})
    med_a.refresh_from_db()
    assert med_a.default_mailbox is None
    assert not ConnectionLink.objects.get(mailbox=org_a, account=med_a).notify_on_receipt


def test_a_mailbox_it_cannot_open_is_not_found(
    client: Client, alice: User, med_a: Account, per_a: Account, structure_a: Structure
) -> None:
    other_org = factories.make_account(structure_a, "ORG", "autre@ch-a.fr")
    client.force_login(alice)
    response = client.post(_url("mailbox_settings", per_a), {"default": str(other_org.pk)})
    assert response.status_code == 404
    per_a.refresh_from_db()
    assert per_a.default_mailbox is None


def test_delegates_add_count_and_remove(
    client: Client, alice: User, per_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account", per_a)).content.decode()
    assert "Il y a 0 délégué(s) associé(s) à ce compte." in page
    client.post(_url("delegate_add", per_a), {"email": med_a.email.upper()})
    page = client.get(_url("account", per_a)).content.decode()
    assert "Il y a 1 délégué(s) associé(s) à ce compte." in page
    assert Delegation.objects.filter(account=per_a, delegate=med_a).exists()
    client.post(_url("delegate_remove", per_a, med_a.pk))
    assert not Delegation.objects.exists()


def test_a_shared_mailbox_cannot_be_a_delegate(
    client: Client, alice: User, per_a: Account, org_a: Account
) -> None:
    client.force_login(alice)
    response = client.post(_url("delegate_add", per_a), {"email": org_a.email}, follow=True)
    assert "un délégué doit être un compte nominatif" in response.content.decode()
    assert not Delegation.objects.exists()


def test_the_creation_form_suggests_connection_accounts(
    client: Client, alice: User, structure_a: Structure, med_a: Account
) -> None:
    client.force_login(alice)
    url = reverse("console:account_create", args=[structure_a.pk, "ORG"])
    page = client.get(url).content.decode()
    field = page.split('name="connection_accounts"')[0].rsplit("<input", 1)[1]
    field += page.split('name="connection_accounts"')[1].split(">")[0]
    assert "hx-get" in field and "cible=id_connection_accounts" in field
    assert 'id="suggestions-connection_accounts"' in page
    answer = _candidates(
        client, structure_a, connection_accounts="secr", cible="id_connection_accounts"
    )
    assert med_a.email in answer and "id_connection_accounts" in answer


def test_a_delegate_s_right_is_chosen_at_the_add_and_changed(
    client: Client, alice: User, per_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account", per_a)).content.decode()
    assert "Droits du délégué" in page
    assert f"Lecture et réponse pour le compte de {per_a.display_name}" in page
    response = client.post(
        _url("delegate_add", per_a), {"email": med_a.email, "right": "reponse"}, follow=True
    )
    assert "Lecture et réponse pour le compte de" in response.content.decode()
    assert Delegation.objects.get().right == "reponse"
    response = client.post(_url("delegate_right", per_a, med_a.pk), {"right": "lecture"})
    assert response.status_code == 302 and Delegation.objects.get().right == "lecture"
    response = client.post(_url("delegate_right", per_a, med_a.pk), {"right": "x"}, follow=True)
    assert "Droits de délégué inconnus" in response.content.decode()
    assert (
        client.post(_url("delegate_right", per_a, per_a.pk), {"right": "lecture"}).status_code
        == 404
    )
