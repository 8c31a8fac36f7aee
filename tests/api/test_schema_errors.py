"""A request the API schema refuses gets the typed French 422 body, like any other refusal."""

from __future__ import annotations

import json

from django.test import Client

from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client


def test_a_wrong_type_or_a_missing_field_gets_the_typed_422_in_french(
    operator: User, structure_a: Structure
) -> None:
    client: Client = bearer_client(operator)
    response = client.post(
        "/api/v1/structures", data=json.dumps({"name": 12}), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("La requête ne respecte pas le schéma de l'API")
    problems = {p["field"]: p for p in body["problems"]}
    assert problems["name"]["code"] == "string_type"
    assert problems["name"]["message"] == "Texte attendu."
    assert any(p["code"] == "missing" for p in body["problems"])
    assert all(p["severity"] == "error" for p in body["problems"])


def test_a_bad_query_parameter_gets_the_same_body(operator: User) -> None:
    response = bearer_client(operator).get("/api/v1/coordination/records?page=abc")
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "page" and problem["message"] == "Nombre entier attendu."
