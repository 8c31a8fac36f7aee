"""The loaduser REST API: template, import (multipart), export; ownership; OpenAPI."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from caducee.accounts.fields import HEADERS
from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import api_headers
from tests.loadusers.builders import csv_bytes, line


def upload(data: bytes, name: str = "comptes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_it_imports_with_the_cli_json(client: Client, alice: User, structure_a: Structure) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/import"
    data = csv_bytes([line("MED", "m@ch-a.fr"), line("MED", "bad", city="")])
    response = client.post(url, {"file": upload(data), "dry_run": "true"}, **api_headers(alice))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 1)
    assert body["problems"][0]["line"] == 3
    assert not Account.objects.exists()
    response = client.post(url, {"file": upload(data)}, **api_headers(alice))
    assert response.json()["created"] == 1
    assert Account.objects.get().email == "m@ch-a.fr"


def test_an_unusable_file_is_refused(client: Client, alice: User, structure_a: Structure) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/import"
    response = client.post(url, {"file": upload(b"NOM;Prenom\r\nX;Y\r\n")}, **api_headers(alice))
    assert response.status_code == 422
    assert "Adresse mail" in response.json()["detail"]


def test_it_validates_ownership(client: Client, bob: User, structure_a: Structure) -> None:
    headers = api_headers(bob)
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/import"
    response = client.post(url, {"file": upload(csv_bytes([line("MED")]))}, **headers)
    assert response.status_code == 404
    export = f"/api/v1/structures/{structure_a.pk}/loadusers/export.csv"
    assert client.get(export, **headers).status_code == 404
    assert not Account.objects.exists()


def test_template_and_export(client: Client, alice: User, structure_a: Structure) -> None:
    response = client.get("/api/v1/loadusers/template.csv", **api_headers(alice))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[0] == ";".join(HEADERS)
    assert client.get("/api/v1/loadusers/template.pdf", **api_headers(alice)).status_code == 404
    client.post(
        f"/api/v1/structures/{structure_a.pk}/loadusers/import",
        {"file": upload(csv_bytes([line("MED", "m@ch-a.fr")]))},
        **api_headers(alice),
    )
    response = client.get(
        f"/api/v1/structures/{structure_a.pk}/loadusers/export.csv", **api_headers(alice)
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert "m@ch-a.fr" in text
    xlsx = client.get(
        f"/api/v1/structures/{structure_a.pk}/loadusers/export.xlsx", **api_headers(alice)
    )
    assert xlsx.status_code == 200
    assert b"".join(xlsx.streaming_content).startswith(b"PK")  # type: ignore[attr-defined]


def test_openapi_documents_the_loaduser(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/structures/{structure_id}/loadusers/import" in paths
    operation = paths["/api/v1/structures/{structure_id}/loadusers/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert "/api/v1/structures/{structure_id}/loadusers/export.{fmt}" in paths
    assert "/api/v1/loadusers/template.{fmt}" in paths
    assert "ImportOut" in schema["components"]["schemas"]


@pytest.mark.parametrize("kind", factories.VICTIM_KINDS)
def test_an_api_import_never_binds_a_login_with_rights_elsewhere(
    client: Client, alice: User, structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    victim = factories.make_victim(kind, structure_b)
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/import"
    data = csv_bytes([line("MED", victim.email)])
    response = client.post(url, {"file": upload(data)}, **api_headers(alice))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["rejected"]) == (0, 1)
    problem = body["problems"][0]
    assert (problem["column"], problem["code"]) == ("Adresse mail", "unavailable")
    assert "Clinique B" not in problem["message"]
    assert not Account.objects.filter(email=victim.email).exclude(structure=structure_b).exists()


def test_the_answer_groups_problems_and_counts_generated_addresses(
    client: Client, alice: User, structure_a: Structure
) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/import"
    lines = [line("PER", f"p{n}@ch-a.fr", profession="Astronaute") for n in range(3)]
    lines += [line("PER", "ok@ch-a.fr", first_name="Jeanne", last_name="Dupont")]
    lines += [line("MED", "m@ch-a.fr", postal_code="abc")]
    response = client.post(
        url, {"file": upload(csv_bytes(lines)), "dry_run": "true"}, **api_headers(alice)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["addresses_generated"] == 1
    assert body["addresses_sample"] == [
        {"line": 5, "email": "ok@ch-a.fr", "address": "jeanne.dupont@ch-a.mssante.fr"}
    ]
    first = body["groups"][0]
    assert (first["count"], first["column"], first["value"]) == (3, "Profession", "Astronaute")
    assert first["lines"] == [2, 3, 4] and first["severity"] == "error"
    assert first["code"] == body["problems"][0]["code"]
    assert body["problems"][0]["value"] == "Astronaute"
    assert sum(g["count"] for g in body["groups"]) == len(body["problems"])
    assert not Account.objects.exists()
