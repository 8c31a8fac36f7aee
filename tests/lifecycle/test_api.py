"""The lifecycle through the API: status, exemption, export, run, and the list filters."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from caducee.accounts.models import Account, AccountState
from caducee.audit.models import AuditEvent
from caducee.lifecycle.export import HEADERS
from caducee.lifecycle.rules import today
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import bearer_client
from tests.lifecycle.test_operations import ACTIVE, DUE, inactive_since

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def idle(structure_a: Structure, alice: User) -> Account:
    return inactive_since(factories.make_account(structure_a, "PER", "idle@example.org"), ACTIVE)


def test_status_shows_days_left(alice: User, idle: Account) -> None:
    Account.objects.filter(pk=idle.pk).update(expiry_date=today() + timedelta(days=12))
    body = bearer_client(alice).get(f"/api/v1/accounts/{idle.pk}/lifecycle").json()
    assert body["expiry_days_left"] == 12
    assert body["inactivity_days"] == 365
    assert body["last_activity_at"].startswith(ACTIVE.isoformat())
    assert body["deletion_date"] is not None  # overdue today: a week after a first warning


def test_exemption_put_and_delete(alice: User, idle: Account) -> None:
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{idle.pk}/inactivity-exemption"
    response = client.put(url, {"reason": ""}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "reason"
    response = client.put(url, {"reason": "BAL de garde"}, content_type=JSON)
    assert response.status_code == 200
    assert response.json()["inactivity_exempt_reason"] == "BAL de garde"
    assert response.json()["deletion_date"] is None
    response = client.delete(url)
    assert response.status_code == 200
    assert response.json()["inactivity_exempt_reason"] == ""
    assert AuditEvent.objects.filter(action__startswith="account.inactivity_exempt").count() == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export(alice: User, idle: Account, structure_a: Structure, fmt: str) -> None:
    response = bearer_client(alice).get(
        f"/api/v1/structures/{structure_a.pk}/inactive-accounts.{fmt}"
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    if fmt == "csv":
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0] == ";".join(HEADERS)
        assert lines[1].startswith("Suppression prévue;idle@example.org")
    else:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        assert rows.get_sheet_by_index(0).to_python()[1][1] == "idle@example.org"


def test_export_unknown_format(alice: User, structure_a: Structure) -> None:
    response = bearer_client(alice).get(
        f"/api/v1/structures/{structure_a.pk}/inactive-accounts.ods"
    )
    assert response.status_code == 422


def test_another_structure_gets_404(bob: User, idle: Account, structure_a: Structure) -> None:
    client = bearer_client(bob)
    assert client.get(f"/api/v1/accounts/{idle.pk}/lifecycle").status_code == 404
    url = f"/api/v1/accounts/{idle.pk}/inactivity-exemption"
    assert client.put(url, {"reason": "x"}, content_type=JSON).status_code == 404
    assert client.delete(url).status_code == 404
    assert (
        client.get(f"/api/v1/structures/{structure_a.pk}/inactive-accounts.csv").status_code == 404
    )


def test_run_is_for_the_operator(alice: User, operator: User, idle: Account) -> None:
    day = (DUE - timedelta(days=7)).isoformat()
    assert (
        bearer_client(alice)
        .post("/api/v1/lifecycle/run", {"today": day}, content_type=JSON)
        .status_code
        == 404
    )
    response = bearer_client(operator).post(
        "/api/v1/lifecycle/run", {"today": day}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["inactivity_warnings"] == 1
    assert response.json()["day"] == day


def test_list_filters_expiring_and_deleted(
    client: Client, alice: User, structure_a: Structure, idle: Account
) -> None:
    soon = factories.make_account(structure_a, "PER", "bientot@example.org")
    later = factories.make_account(structure_a, "PER", "plus-tard@example.org")
    Account.objects.filter(pk=soon.pk).update(expiry_date=today() + timedelta(days=30))
    Account.objects.filter(pk=later.pk).update(expiry_date=today() + timedelta(days=31))
    Account.objects.filter(pk=idle.pk).update(state=AccountState.DELETED)
    api = bearer_client(alice)
    url = f"/api/v1/structures/{structure_a.pk}/accounts"
    emails = {a["email"] for a in api.get(url, {"expiring": "true"}).json()}
    assert emails == {"bientot@example.org"}
    every = {a["email"] for a in api.get(url).json()}
    assert "idle@example.org" not in every and "plus-tard@example.org" in every
    deleted = {a["email"] for a in api.get(url, {"state": "supprime"}).json()}
    assert deleted == {"idle@example.org"}
