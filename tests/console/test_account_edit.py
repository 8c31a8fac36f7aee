"""Editing an account, deactivating and reactivating it, changing its type or its email."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account, AccountState, EmailChangeRequest
from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.smtp_sink import SmtpSink, url_in

pytestmark = pytest.mark.django_db


def _url(name: str, account: Account, *extra: int) -> str:
    return reverse(f"console:{name}", args=[account.structure_id, account.pk, *extra])


def _form_values(client: Client, account: Account) -> dict[str, str]:
    """What the edit form holds, as a browser would post it back."""
    response = client.get(_url("account", account))
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields if name != "email"}


def test_the_edit_form_is_prefilled_and_saves_changes(
    client: Client, alice: User, per_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account", per_a)).content.decode()
    assert f'value="{per_a.rpps}"' in page
    assert "disabled" in page.split('name="email"')[1].split(">")[0]
    data = _form_values(client, per_a)
    data["city"] = "lyon"
    data["department"] = "69"
    response = client.post(_url("account", per_a), data, follow=True)
    per_a.refresh_from_db()
    assert (per_a.city, per_a.department, per_a.region) == ("LYON", "69", "84")
    assert "Le compte a été enregistré." in response.content.decode()
    assert "mis en majuscules" in response.content.decode()
    event = AuditEvent.objects.filter(action="account.update").last()
    assert event is not None and event.detail["changes"]["city"] == ["PARIS", "LYON"]


def test_edit_errors_are_shown_beside_the_field(
    client: Client, alice: User, per_a: Account
) -> None:
    client.force_login(alice)
    data = _form_values(client, per_a)
    data["postal_code"] = "123"
    page = client.post(_url("account", per_a), data).content.decode()
    block = page.split('id="champ-postal_code"')[1].split('<div class="field')[0]
    assert "5 chiffres" in block
    per_a.refresh_from_db()
    assert per_a.postal_code == "75012"


def test_deactivate_and_reactivate(client: Client, alice: User, per_a: Account) -> None:
    client.force_login(alice)
    client.post(_url("account_deactivate", per_a), {"retour": "liste"})
    per_a.refresh_from_db()
    assert per_a.state == AccountState.DEACTIVATED
    response = client.post(_url("account_reactivate", per_a))
    assert response["Location"] == _url("account", per_a)
    per_a.refresh_from_db()
    assert per_a.state == AccountState.PREREGISTERED  # never finalised


def test_change_type_lists_what_the_new_type_requires(
    client: Client, alice: User, per_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account_change_type", per_a), {"type": "ORG"}).content.decode()
    assert "Pour passer en BAL ORG (organisationnelle), il faut :" in page
    requirements = page.split('id="exigences"')[1].split("</section>")[0]
    for title in ("Description fonctionnelle", "Nom resp", "Compte(s) de connexion", "RPPS"):
        assert title in requirements
    assert "doit rester vide" in requirements  # the RPPS of a PER must be emptied


def test_change_type_refuses_then_accepts(
    client: Client, alice: User, per_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    url = _url("account_change_type", per_a)
    page = client.post(url, {"type": "ORG"}).content.decode()
    assert "Pour passer en BAL ORG" in page
    per_a.refresh_from_db()
    assert per_a.type == "PER"
    form = client.get(url, {"type": "ORG"}).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        type="ORG",
        rpps="",
        description="Accueil des urgences",
        resp_structure_id_type="FINESS",
        resp_structure_id=factories.finess(),
        resp_last_name="MARTIN",
        resp_first_name="Paul",
        resp_profession="10",
        resp_identifier=factories.rpps(),
        connection_accounts=med_a.email,
    )
    response = client.post(url, data, follow=True)
    per_a.refresh_from_db()
    assert per_a.type == "ORG", response.content.decode()
    assert per_a.rpps == ""
    assert per_a.connection_links.get().account == med_a
    assert "est maintenant en ORG" in response.content.decode()


def test_change_type_page_offers_the_other_types(
    client: Client, alice: User, per_a: Account
) -> None:
    client.force_login(alice)
    page = client.get(_url("account_change_type", per_a)).content.decode()
    assert 'value="PER"' not in page
    for kind in ("INT", "ORG", "MED", "APP"):
        assert f'value="{kind}"' in page


def test_email_change_request_confirm_and_cancel(
    client: Client,
    alice: User,
    per_a: Account,
    med_a: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("email_change_request", per_a), {"new_email": "Jeanne.D@ch-a.fr"})
    change = EmailChangeRequest.objects.get(account=per_a)
    assert change.new_email == "jeanne.d@ch-a.fr"
    listing = reverse("console:email_changes", args=[per_a.structure_id])
    page = client.get(listing).content.decode()
    assert "jeanne.d@ch-a.fr" in page and "En attente (lien valable" in page
    assert "Appliquer" not in page and "Renvoyer le lien" in page
    per_a.refresh_from_db()
    assert per_a.email == "jeanne.dupont@ch-a.fr"  # nothing changes before confirmation
    link = url_in(smtp_sink.wait_for("jeanne.d@ch-a.fr"))
    smtp_sink.wait_for("jeanne.dupont@ch-a.fr")  # the old address is told
    public = Client()
    assert public.get(link).status_code == 200
    public.post(link)
    per_a.refresh_from_db()
    assert per_a.email == "jeanne.d@ch-a.fr"
    assert per_a.user is not None and per_a.user.email == "jeanne.d@ch-a.fr"
    assert "Confirmée" in client.get(listing).content.decode()
    client.post(_url("email_change_request", med_a), {"new_email": "autre@ch-a.fr"})
    other = EmailChangeRequest.objects.get(account=med_a)
    client.post(reverse("console:email_change_cancel", args=[med_a.structure_id, other.pk]))
    other.refresh_from_db()
    med_a.refresh_from_db()
    assert other.status == EmailChangeRequest.Status.CANCELLED
    assert med_a.email == "secretaire@ch-a.fr"
    assert "Annulée" in client.get(listing).content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.email_change_request", "account.email_change_confirm"} <= actions
    assert "account.email_change_cancel" in actions


def test_email_change_to_a_used_address_is_refused(
    client: Client, alice: User, per_a: Account, med_a: Account
) -> None:
    client.force_login(alice)
    response = client.post(
        _url("email_change_request", per_a), {"new_email": med_a.email}, follow=True
    )
    assert "Un compte de vos structures utilise déjà l" in response.content.decode()
    assert not EmailChangeRequest.objects.exists()


def test_an_admin_of_several_structures_picks_one(
    client: Client, alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    factories.make_admin(structure_b, alice.email)
    client.force_login(alice)
    page = client.get(reverse("console:home")).content.decode()
    assert "Choisissez la structure à administrer" in page
    assert reverse("console:structure", args=[structure_a.pk]) in page
    assert reverse("console:structure", args=[structure_b.pk]) in page


def test_an_admin_of_one_structure_lands_on_it(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    response = client.get(reverse("console:home"))
    assert response["Location"] == reverse("console:structure", args=[structure_a.pk])
    page = client.get(response["Location"]).content.decode()
    for item in ("Accueil structure", "Gestion des utilisateurs", "Journal d'audit"):
        assert item in page
