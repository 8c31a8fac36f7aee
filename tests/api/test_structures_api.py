"""Structures and their admins through the API: the operator writes, admins read theirs and
edit the fields that are theirs (issue #15, point 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests.factories import finess
from tests.helpers import bearer_client

JSON = "application/json"


def last_action() -> str:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event.action


def structure_in(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "CH Albi",
        "id_type": "FINESS_EJ",
        "id_number": finess(),
        "domain": "ch-albi.mssante.fr",
        "department": "tarn",
    }
    data.update(overrides)
    return data


def test_the_operator_creates_reads_and_edits_a_structure(operator: User) -> None:
    client = bearer_client(operator)
    response = client.post("/api/v1/structures", structure_in(), content_type=JSON)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["domain"] == "ch-albi.mssante.fr" and created["region"] == "76"
    # The structure's creation, then its default rights profiles (coordination).
    assert AuditEvent.objects.filter(
        action="structure.create", target_id=str(created["id"])
    ).exists()
    url = f"/api/v1/structures/{created['id']}"
    assert client.get(url).json() == created
    changed = {**structure_in(id_number=created["id_number"]), "city": "albi"}
    response = client.put(url, changed, content_type=JSON)
    assert response.status_code == 200 and response.json()["city"] == "ALBI"
    assert last_action() == "structure.update"
    assert "CH Albi" in {s["name"] for s in client.get("/api/v1/structures").json()}


def test_invalid_structure_is_422_with_problems_by_field(operator: User) -> None:
    response = bearer_client(operator).post(
        "/api/v1/structures",
        structure_in(name="", id_number="810000006", postal_code="12"),
        content_type=JSON,
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert {"name", "id_number", "postal_code"} <= fields
    assert not Structure.objects.exists()


def test_a_structure_admin_reads_but_cannot_create_or_rename_structures(
    alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    client = bearer_client(alice)
    assert [s["id"] for s in client.get("/api/v1/structures").json()] == [structure_a.pk]
    assert client.get(f"/api/v1/structures/{structure_a.pk}").status_code == 200
    assert client.post("/api/v1/structures", structure_in(), content_type=JSON).status_code == 403
    url = f"/api/v1/structures/{structure_a.pk}"
    same = structure_in(name=structure_a.name, id_number=structure_a.id_number)
    assert client.put(url, same, content_type=JSON).status_code == 403
    # Structure B does not exist for alice.
    assert client.get(f"/api/v1/structures/{structure_b.pk}").status_code == 404
    url_b = f"/api/v1/structures/{structure_b.pk}"
    assert client.put(url_b, same, content_type=JSON).status_code == 404
    assert client.get(f"{url_b}/admins").status_code == 404


def test_the_operator_appoints_lists_and_removes_admins(
    operator: User, structure_a: Structure
) -> None:
    client = bearer_client(operator)
    url = f"/api/v1/structures/{structure_a.pk}/admins"
    response = client.post(url, {"email": "Chef@CH-A.fr"}, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "chef@ch-a.fr" and body["created"] is True
    assert "/mot-de-passe/" in body["password_link"]
    assert AuditEvent.objects.filter(action="structure.admin_add").exists()
    assert [a["email"] for a in client.get(url).json()] == ["chef@ch-a.fr"]
    response = client.delete(f"{url}/{body['id']}")
    assert response.status_code == 204
    assert last_action() == "structure.admin_remove"
    assert not StructureAdmin.objects.filter(structure=structure_a).exists()
    assert client.delete(f"{url}/{body['id']}").status_code == 404


def test_appointing_a_bad_address_is_422(operator: User, structure_a: Structure) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/admins"
    response = bearer_client(operator).post(url, {"email": "pas une adresse"}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "email"


def test_admins_cannot_appoint_and_b_cannot_see_a(
    alice: User, bob: User, structure_a: Structure
) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/admins"
    assert [a["email"] for a in bearer_client(alice).get(url).json()] == ["alice@ch-a.fr"]
    response = bearer_client(alice).post(url, {"email": "x@ch-a.fr"}, content_type=JSON)
    assert response.status_code == 403
    assert bearer_client(alice).delete(f"{url}/{alice.pk}").status_code == 403
    assert bearer_client(bob).get(url).status_code == 404
    assert bearer_client(bob).delete(f"{url}/{alice.pk}").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_read_only_token_cannot_write(
    client: Client, operator: User, structure_a: Structure, method: str
) -> None:
    token = issue_token(cli_context(), operator, "lecture", read_only=True)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = {
        "post": "/api/v1/structures",
        "put": f"/api/v1/structures/{structure_a.pk}",
        "delete": f"/api/v1/structures/{structure_a.pk}/admins/1",
    }[method]
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url, structure_in(), content_type=JSON, **headers)
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    assert client.get("/api/v1/structures", **headers).status_code == 200


def test_an_admin_patches_her_fields_and_is_refused_the_operator_ones(
    alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    client = bearer_client(alice)
    url = f"/api/v1/structures/{structure_a.pk}"
    response = client.patch(
        url, {"phone": "05 63 00 00 00", "contact_name": "Mme Durand"}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phone"], body["contact_name"]) == ("0563000000", "Mme Durand")
    assert body["domain"] == "ch-a.mssante.fr"
    event = AuditEvent.objects.get(action="structure.update")
    assert event.actor == alice and event.channel == "api"
    assert event.detail["fields"] == ["contact_name", "phone"]

    refused = client.patch(url, {"domain": "pirate.mssante.fr"}, content_type=JSON)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(
        "Ce champ est géré par l'opérateur de la plateforme : Domaine MSSanté."
    )
    full = {key: value for key, value in body.items() if key != "id"}
    full.update(domain=body["domain"], city="Albi")
    assert client.put(url, full, content_type=JSON).json()["city"] == "ALBI"
    bad = client.patch(url, {"contact_email": "nope"}, content_type=JSON)
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "contact_email"
    b_url = f"/api/v1/structures/{structure_b.pk}"
    assert client.patch(b_url, {"phone": "0102030405"}, content_type=JSON).status_code == 404
    structure_b.refresh_from_db()
    assert structure_b.phone == ""


def test_the_operator_patches_the_domain(operator: User, structure_a: Structure) -> None:
    response = bearer_client(operator).patch(
        f"/api/v1/structures/{structure_a.pk}", {"domain": "neuf.mssante.fr"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["domain"] == "neuf.mssante.fr"
