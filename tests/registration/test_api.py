"""The service centre's queue through the API (issue #16 contract)."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.people.models import User
from caducee.registration.operations import submit_registration
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import bearer_client
from tests.registration.conftest import OCCITANIE, SHARED, org_form
from tests.registration.test_operations import VISITOR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions")]
JSON = "application/json"


def _request(pharmacist: Account, **overrides: object) -> int:
    return submit_registration(
        VISITOR, "ORG", OCCITANIE, org_form(**overrides), requester=pharmacist.user
    ).pk


def test_the_operator_lists_and_validates_on_a_shared_domain(
    operator: User, pharmacist: Account, shared_domain: str
) -> None:
    pk = _request(pharmacist)
    client = bearer_client(operator)
    rows = client.get("/api/v1/registrations?state=a_valider").json()
    assert [r["id"] for r in rows] == [pk]
    row = rows[0]
    assert row["kind"] == "ORG" and row["structure_created"] is True and row["overdue"] is False
    assert row["suggested_particle"] == "pharmacie.du.centre.81000.albi"
    assert row["data"]["structure_name"] == "Pharmacie du Centre"
    assert client.get("/api/v1/registrations?state=rejete").json() == []
    response = client.post(
        f"/api/v1/registrations/{pk}/validate", {"domain": SHARED}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "valide" and body["account_state"] == AccountState.VALID
    assert body["mssante_address"] == f"pharmacie.du.centre.81000.albi@{SHARED}"
    again = client.post(f"/api/v1/registrations/{pk}/validate", {}, content_type=JSON)
    assert again.status_code == 422 and "à valider" in again.json()["detail"]


def test_attach_to_an_existing_structure_with_a_particle(
    operator: User, pharmacist: Account, shared_domain: str
) -> None:
    target = factories.make_structure("Officines du Tarn", domain="")
    pk = _request(pharmacist)
    response = bearer_client(operator).post(
        f"/api/v1/registrations/{pk}/validate",
        {"structure_id": target.pk, "particle": "officine.centre.albi"},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["structure_id"] == target.pk
    assert response.json()["mssante_address"] == f"officine.centre.albi@{SHARED}"
    assert Structure.objects.get(pk=target.pk).domain == SHARED


def test_reject_needs_a_reason_and_correction_a_message(
    operator: User, pharmacist: Account
) -> None:
    first, second = _request(pharmacist), _request(pharmacist, email="officine@albi.fr")
    client = bearer_client(operator)
    response = client.post(
        f"/api/v1/registrations/{first}/reject", {"reason": " "}, content_type=JSON
    )
    assert response.status_code == 422 and response.json()["problems"][0]["field"] == "reason"
    response = client.post(
        f"/api/v1/registrations/{first}/reject", {"reason": "Doublon."}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["state"] == "rejete"
    assert response.json()["account_state"] == AccountState.REJECTED
    response = client.post(
        f"/api/v1/registrations/{second}/correction", {"message": "Le FINESS ?"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["state"] == "a_corriger"
    assert client.get("/api/v1/registrations/999999").status_code == 404
    response = client.post(
        f"/api/v1/registrations/{second}/validate", {"domain": "x.mssante.fr"}, content_type=JSON
    )
    assert response.status_code == 422


def test_the_operator_names_the_service_centre(operator: User, alice: User) -> None:
    client = bearer_client(operator)
    assert client.post(
        "/api/v1/registration-centre", {"email": alice.email}, content_type=JSON
    ).json() == {"email": alice.email}
    assert client.get("/api/v1/registration-centre").json() == [{"email": alice.email}]
    assert bearer_client(alice).get("/api/v1/registrations").status_code == 200
    assert client.delete(f"/api/v1/registration-centre/{alice.email}").status_code == 204
    assert bearer_client(alice).get("/api/v1/registrations").status_code == 404
    assert client.delete(f"/api/v1/registration-centre/{alice.email}").status_code == 404
