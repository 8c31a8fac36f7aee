"""« Domaines MSSanté »: the operator's page of the platform's domains (issue #16)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import PlatformDomain, Structure
from tests import factories

pytestmark = pytest.mark.django_db
SHARED = "pharmacien.oc.mssante.fr"


def test_the_operator_declares_a_shared_domain(client: Client, operator: User) -> None:
    client.force_login(operator)
    url = reverse("console:domains")
    assert "Aucun domaine déclaré." in client.get(url).content.decode()
    response = client.post(url, {"name": "Pharmacien.OC.mssante.fr", "shared": "on"})
    assert response["Location"] == url
    assert PlatformDomain.objects.get(name=SHARED).shared
    assert AuditEvent.objects.get(action="domain.declare").actor == operator
    factories.make_structure("Pharmacie du Centre", domain=SHARED)
    page = client.get(url).content.decode()
    assert f"<td>{SHARED}</td>" in page and "<td>oui</td>" in page and "<td>1</td>" in page
    home = client.get(reverse("console:structure", args=[Structure.objects.get().pk]))
    assert "(domaine partagé de la plateforme)" in home.content.decode()


def test_a_refused_domain_is_explained_beside_the_field(
    client: Client, operator: User, structure_a: Structure
) -> None:
    client.force_login(operator)
    url = reverse("console:domains")
    page = client.post(url, {"name": "pharmacien.example.org", "shared": "on"}).content.decode()
    block = page.split('id="champ-name"')[1].split('<div class="field')[0]
    assert "se termine par .mssante.fr" in block
    page = client.post(url, {"name": "ch-a.mssante.fr", "shared": "on"}).content.decode()
    assert "domaine propre de la structure" in page
    assert not PlatformDomain.objects.exists()


def test_the_page_is_the_operators_only(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(reverse("console:domains")).status_code == 404
    client.post(reverse("console:domains"), {"name": SHARED, "shared": "on"})
    assert not PlatformDomain.objects.exists()
