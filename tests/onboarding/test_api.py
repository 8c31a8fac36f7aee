"""The service centre's queue over the API (operator only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.emails.models import OutgoingEmail
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client

pytestmark = pytest.mark.django_db

BASE = "/api/v1/connection-requests"


def test_it_lists_with_filters(operator: User, pharmacy_request: ConnectionRequest) -> None:
    client = bearer_client(operator)
    rows = client.get(BASE).json()
    assert [r["id"] for r in rows] == [pharmacy_request.pk]
    row = rows[0]
    assert row["state"] == "nouvelle" and row["state_label"] == "Nouvelle"
    assert row["structure_name"] == "Pharmacie du Centre" and row["expected_users"] == 4
    assert row["overdue"] is False and row["handled_by"] == "" and row["structure_id"] is None
    assert client.get(BASE, {"state": "acceptee"}).json() == []
    assert client.get(BASE, {"older_than_hours": 1}).json() == []
    ConnectionRequest.objects.update(created_at=timezone.now() - timedelta(hours=100))
    late = client.get(BASE, {"state": "ouvertes", "older_than_hours": "1"}).json()
    assert [r["overdue"] for r in late] == [True]
    bad = client.get(BASE, {"state": "perdue"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "state"
    assert client.get(BASE, {"older_than_hours": -1}).status_code == 422


def test_the_detail_names_existing_structures(
    operator: User, structure_a: Structure, pharmacy_request: ConnectionRequest
) -> None:
    ConnectionRequest.objects.update(structure_name=structure_a.name.upper())
    body = bearer_client(operator).get(f"{BASE}/{pharmacy_request.pk}").json()
    assert body["existing_structures"] == [structure_a.name]
    assert body["email"] == "contact@pharmacie-centre-albi.fr"
    assert body["message"] == "Nous souhaitons une boîte pour l'officine."
    assert bearer_client(operator).get(f"{BASE}/999999").status_code == 404


def test_take_answer_and_structure(operator: User, pharmacy_request: ConnectionRequest) -> None:
    client = bearer_client(operator)
    url = f"{BASE}/{pharmacy_request.pk}"
    taken = client.post(f"{url}/take")
    assert taken.status_code == 200 and taken.json()["state"] == "en_cours"
    assert taken.json()["handled_by"] == operator.email

    created = client.post(
        f"{url}/structure", {"domain": "pharmacien.oc.mssante.fr"}, content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    structure = Structure.objects.get(pk=created.json()["structure_id"])
    assert created.json()["request"]["structure_id"] == structure.pk
    again = client.post(f"{url}/structure", {}, content_type="application/json")
    assert again.status_code == 422 and "déjà été créée" in again.json()["detail"]

    empty = client.post(
        f"{url}/answer", {"accept": False, "message": ""}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert empty.json()["problems"][0]["field"] == "message"
    missing = client.post(f"{url}/answer", {"message": "x"}, content_type="application/json")
    assert missing.status_code == 422
    answered = client.post(
        f"{url}/answer",
        {"accept": True, "message": "Bienvenue sur la plateforme."},
        content_type="application/json",
    )
    assert answered.status_code == 200
    assert answered.json()["state"] == RequestState.ACCEPTED
    assert answered.json()["answer"] == "Bienvenue sur la plateforme."
    assert OutgoingEmail.objects.filter(template="onboarding_answer").count() == 1
    event = AuditEvent.objects.get(action=AuditAction.ONBOARDING_ANSWER)
    assert event.channel == "api" and event.actor == operator
    closed = client.post(
        f"{url}/answer", {"accept": False, "message": "Non."}, content_type="application/json"
    )
    assert closed.status_code == 422


def test_a_duplicate_structure_names_the_field(
    operator: User, structure_a: Structure, pharmacy_request: ConnectionRequest
) -> None:
    ConnectionRequest.objects.update(id_type=structure_a.id_type, id_number=structure_a.id_number)
    response = bearer_client(operator).post(
        f"{BASE}/{pharmacy_request.pk}/structure", {}, content_type="application/json"
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["id_number"]
