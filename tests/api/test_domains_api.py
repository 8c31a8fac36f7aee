"""The platform's MSSanté domains through the API: the operator's (issue #16, point 4)."""

from __future__ import annotations

import pytest

from caducee.people.models import User
from caducee.structures.models import PlatformDomain, Structure
from tests.factories import make_structure
from tests.helpers import bearer_client

pytestmark = pytest.mark.django_db
JSON = "application/json"
SHARED = "pharmacien.oc.mssante.fr"


def test_the_operator_declares_and_lists_domains(operator: User) -> None:
    client = bearer_client(operator)
    response = client.post("/api/v1/domains", {"name": SHARED, "shared": True}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["name"] == SHARED and response.json()["shared"] is True
    structure = make_structure("Pharmacie du Centre", domain="")
    url = f"/api/v1/structures/{structure.pk}"
    response = client.patch(url, {"domain": SHARED}, content_type=JSON)
    assert response.status_code == 200 and response.json()["domain"] == SHARED
    listed = client.get("/api/v1/domains").json()
    assert [(d["name"], d["shared"], d["structures"]) for d in listed] == [(SHARED, True, 1)]


def test_a_bad_or_taken_domain_is_422_in_french(operator: User, structure_a: Structure) -> None:
    client = bearer_client(operator)
    response = client.post("/api/v1/domains", {"name": "pharmacien.example.org"}, content_type=JSON)
    assert response.status_code == 422
    assert "se termine par .mssante.fr" in str(response.json())
    response = client.post(
        "/api/v1/domains", {"name": "ch-a.mssante.fr", "shared": True}, content_type=JSON
    )
    assert response.status_code == 422 and "domaine propre" in str(response.json())
    assert not PlatformDomain.objects.exists()


def test_domains_are_the_operators_only(alice: User) -> None:
    client = bearer_client(alice)
    assert client.get("/api/v1/domains").status_code == 404
    response = client.post("/api/v1/domains", {"name": SHARED, "shared": True}, content_type=JSON)
    assert response.status_code == 403
    assert not PlatformDomain.objects.exists()
