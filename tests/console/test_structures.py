"""The operator's pages: structures and their admins."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.identity.models import ActionLink
from caducee.people.models import User
from caducee.structures import ownership
from caducee.structures.models import Structure, StructureAdmin
from tests import factories

pytestmark = pytest.mark.django_db


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Hôpital de Provence",
        "id_type": "FINESS_EG",
        "id_number": factories.finess(),
        "domain": "hp.mssante.fr",
        "address1": "1 rue de la Santé",
        "postal_code": "13001",
        "city": "marseille",
        "department": "13",
        "region": "",
    }
    data.update(overrides)
    return data


def _error_beside(page: str, key: str) -> str:
    block = page.split(f'id="champ-{key}"')[1].split('<div class="field')[0]
    return " ".join(re.findall(r'<p class="field-error">(.*?)</p>', block))


def test_the_operator_sees_every_structure(
    client: Client, operator: User, structure_a: Structure, structure_b: Structure
) -> None:
    client.force_login(operator)
    assert client.get(reverse("console:home"))["Location"] == reverse("console:structures")
    page = client.get(reverse("console:structures")).content.decode()
    assert structure_a.name in page and structure_b.name in page
    assert "Créer une structure" in page


def test_the_operator_creates_a_structure(client: Client, operator: User) -> None:
    client.force_login(operator)
    response = client.post(reverse("console:structure_create"), _data())
    structure = Structure.objects.get(name="Hôpital de Provence")
    assert response["Location"] == reverse("console:structure_admins", args=[structure.pk])
    assert (structure.department, structure.region, structure.city) == ("13", "93", "MARSEILLE")
    assert structure.id_type == "FINESS_EG"
    event = AuditEvent.objects.get(action="structure.create")
    assert event.actor == operator


def test_department_and_region_accept_labels(client: Client, operator: User) -> None:
    client.force_login(operator)
    data = _data(department="bouches du rhone", region="Provence-Alpes-Côte d'Azur")
    client.post(reverse("console:structure_create"), data)
    structure = Structure.objects.get(name="Hôpital de Provence")
    assert (structure.department, structure.region) == ("13", "93")


@pytest.mark.parametrize(
    ("id_type", "number"),
    [("SIRET", "73282932000075"), ("SIREN", "732829321"), ("FINESS_EJ", "750000012")],
)
def test_a_wrong_check_digit_is_shown_beside_the_number(
    client: Client, operator: User, id_type: str, number: str
) -> None:
    client.force_login(operator)
    response = client.post(
        reverse("console:structure_create"), _data(id_type=id_type, id_number=number)
    )
    assert response.status_code == 200
    assert _error_beside(response.content.decode(), "id_number")
    assert not Structure.objects.filter(name="Hôpital de Provence").exists()


def test_missing_and_wrong_fields_are_reported(client: Client, operator: User) -> None:
    client.force_login(operator)
    data = _data(name="", domain="pas un domaine", department="999", postal_code="12")
    page = client.post(reverse("console:structure_create"), data).content.decode()
    assert "raison sociale" in _error_beside(page, "name")
    assert "nom de domaine valide" in _error_beside(page, "domain")
    assert "inconnu" in _error_beside(page, "department")
    assert "5 chiffres" in _error_beside(page, "postal_code")


def test_the_operator_edits_a_structure(
    client: Client, operator: User, structure_a: Structure
) -> None:
    client.force_login(operator)
    url = reverse("console:structure_edit", args=[structure_a.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["city"] = "Nice"
    data["department"] = "06"  # the region is left as it was (Île-de-France)
    client.post(url, data)
    structure_a.refresh_from_db()
    assert (structure_a.city, structure_a.department, structure_a.region) == ("NICE", "06", "93")


def test_appointing_a_new_admin_shows_a_one_time_link(
    client: Client, operator: User, structure_a: Structure
) -> None:
    client.force_login(operator)
    url = reverse("console:structure_admins", args=[structure_a.pk])
    page = client.post(url, {"email": "Nouvelle.Admin@ch-a.fr"}).content.decode()
    user = User.objects.get(email="nouvelle.admin@ch-a.fr")
    assert StructureAdmin.objects.filter(user=user, structure=structure_a).exists()
    match = re.search(r'<code id="password-link">([^<]+)</code>', page)
    assert match and "/mot-de-passe/" in match.group(1)
    assert ActionLink.objects.filter(user=user, used_at__isnull=True).exists()
    # Shown once: the page does not show it again.
    assert "password-link" not in client.get(url).content.decode()


def test_appointing_a_person_with_a_password_shows_no_link(
    client: Client, operator: User, structure_a: Structure, bob: User
) -> None:
    client.force_login(operator)
    url = reverse("console:structure_admins", args=[structure_a.pk])
    response = client.post(url, {"email": bob.email}, follow=True)
    assert "password-link" not in response.content.decode()
    assert StructureAdmin.objects.filter(user=bob, structure=structure_a).exists()


def test_a_shared_mailbox_cannot_be_appointed(
    client: Client, operator: User, structure_a: Structure
) -> None:
    org = factories.make_account(structure_a, "ORG", "accueil@ch-a.fr")
    client.force_login(operator)
    url = reverse("console:structure_admins", args=[structure_a.pk])
    page = client.post(url, {"email": org.email}).content.decode()
    assert "ne peut pas se connecter" in page
    assert not StructureAdmin.objects.filter(user__email=org.email).exists()


def test_removing_an_admin(
    client: Client, operator: User, structure_a: Structure, alice: User
) -> None:
    client.force_login(operator)
    client.post(reverse("console:structure_admin_remove", args=[structure_a.pk, alice.pk]))
    assert not StructureAdmin.objects.filter(user=alice).exists()
    client.force_login(alice)
    assert client.get(reverse("console:accounts", args=[structure_a.pk])).status_code == 404


def test_admins_cannot_create_structures(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(reverse("console:structure_create"), _data())
    assert response.status_code == 404
    assert not Structure.objects.filter(name="Hôpital de Provence").exists()


# --- « Paramétrage de la structure » by its admins (issue #15, point 6) ----------------------


def _current(structure: Structure, **overrides: str) -> dict[str, str]:
    data = {key: getattr(structure, key) or "" for key in ownership.FIELDS}
    data.update(overrides)
    return data


def test_an_admin_sees_the_operator_fields_read_only(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    home = client.get(reverse("console:structure", args=[structure_a.pk])).content.decode()
    url = reverse("console:structure_edit", args=[structure_a.pk])
    assert f'href="{url}"' in home and "Paramétrage de la structure" in home
    page = html.unescape(client.get(url).content.decode())
    assert 'id="ownership-hint"' in page
    for key in ownership.OPERATOR_FIELDS:
        block = page.split(f'id="champ-{key}"')[1].split('<div class="field')[0]
        assert "disabled" in block and "Géré par l'opérateur de la plateforme." in block
    for key in ownership.ADMIN_FIELDS:
        block = page.split(f'id="champ-{key}"')[1].split('<div class="field')[0]
        assert "disabled" not in block


def test_an_admin_saves_her_fields_and_a_posted_domain_is_ignored(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    url = reverse("console:structure_edit", args=[structure_a.pk])
    data = _current(
        structure_a,
        domain="pirate.mssante.fr",  # a disabled field: Django keeps the current value
        phone="05.63.00.00.00",
        contact_name="Mme Durand",
        contact_email="contact@ch-a.fr",
    )
    response = client.post(url, data)
    assert response["Location"] == reverse("console:structure", args=[structure_a.pk])
    structure_a.refresh_from_db()
    assert structure_a.domain == "ch-a.mssante.fr"
    assert (structure_a.phone, structure_a.contact_name) == ("0563000000", "Mme Durand")
    event = AuditEvent.objects.get(action="structure.update")
    assert event.actor == alice
    assert event.detail["fields"] == ["contact_email", "contact_name", "phone"]


def test_an_admin_sees_a_bad_phone_beside_the_field(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    url = reverse("console:structure_edit", args=[structure_a.pk])
    page = client.post(url, _current(structure_a, phone="pas un numéro")).content.decode()
    assert "Numéro de téléphone « pas un numéro » invalide" in _error_beside(page, "phone")
    assert not AuditEvent.objects.filter(action="structure.update").exists()


def test_the_operator_still_edits_the_domain(
    client: Client, operator: User, structure_a: Structure
) -> None:
    client.force_login(operator)
    url = reverse("console:structure_edit", args=[structure_a.pk])
    page = client.get(url).content.decode()
    assert 'id="ownership-hint"' not in page
    client.post(url, _current(structure_a, domain="nouveau.mssante.fr"))
    structure_a.refresh_from_db()
    assert structure_a.domain == "nouveau.mssante.fr"
