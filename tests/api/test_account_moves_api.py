"""« Rattacher à une autre structure » through the API: targets, preview, move."""

from __future__ import annotations

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.accounts.operations import add_connection_accounts
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.conftest import PASSWORD
from tests.helpers import api_headers as bearer

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def both(structure_a: Structure, structure_b: Structure) -> User:
    dora = factories.make_admin(structure_a, "dora@ch-a.fr", PASSWORD)
    StructureAdmin.objects.create(user=dora, structure=structure_b)
    return dora


@pytest.fixture
def jeanne(structure_a: Structure) -> Account:
    account = factories.make_account(
        structure_a, "PER", email="jeanne@x.fr", first_name="Jeanne", last_name="Moulin"
    )
    assign_mssante_address(cli_context(), account, None)
    org = factories.make_account(structure_a, "ORG", email="secretariat@x.fr")
    add_connection_accounts(cli_context(), org, account.email)
    return account


def test_targets_preview_then_move(
    client: Client, both: User, jeanne: Account, structure_b: Structure
) -> None:
    headers = bearer(both)
    targets = client.get(f"/api/v1/accounts/{jeanne.pk}/move-targets", **headers).json()
    assert targets == [{"id": structure_b.pk, "name": "Clinique B", "domain": structure_b.domain}]
    url = f"/api/v1/accounts/{jeanne.pk}/move-preview?structure_id={structure_b.pk}"
    preview = client.get(url, **headers)
    assert preview.status_code == 200
    body = preview.json()
    assert body["old_address"] == "jeanne.moulin@ch-a.mssante.fr"
    assert body["new_address"] == "jeanne.moulin@clinique-b.mssante.fr"
    assert body["detached"] == [
        {
            "kind": "connection",
            "mailbox": "secretariat@x.fr",
            "member": "jeanne@x.fr",
            "message": "jeanne@x.fr n'est plus compte de connexion de la boîte secretariat@x.fr.",
        }
    ]
    assert Account.objects.get(pk=jeanne.pk).structure_id != structure_b.pk
    response = client.post(
        f"/api/v1/accounts/{jeanne.pk}/move",
        {"structure_id": structure_b.pk},
        content_type=JSON,
        **headers,
    )
    assert response.status_code == 200
    moved = response.json()
    assert moved["account"]["structure_id"] == structure_b.pk
    assert moved["detached"][0]["member"] == "jeanne@x.fr"
    assert moved["from_structure"]["name"] == "Centre hospitalier A"
    assert AuditEvent.objects.filter(action="account.move_in", channel="api").count() == 1


def test_an_admin_of_one_structure_gets_404(
    client: Client, alice: User, bob: User, jeanne: Account, structure_b: Structure
) -> None:
    body = {"structure_id": structure_b.pk}
    url = f"/api/v1/accounts/{jeanne.pk}/move"
    # Alice sees the account, not the target; Bob sees the target, not the account.
    assert client.post(url, body, content_type=JSON, **bearer(alice)).status_code == 404
    assert client.post(url, body, content_type=JSON, **bearer(bob)).status_code == 404
    preview = f"/api/v1/accounts/{jeanne.pk}/move-preview?structure_id={structure_b.pk}"
    assert client.get(preview, **bearer(bob)).status_code == 404
    assert client.get(f"/api/v1/accounts/{jeanne.pk}/move-targets", **bearer(bob)).status_code == (
        404
    )
    assert client.get(f"/api/v1/accounts/{jeanne.pk}/move-targets", **bearer(alice)).json() == []
    assert Account.objects.get(pk=jeanne.pk).structure.name == "Centre hospitalier A"


def test_a_full_quota_is_a_422_in_french(
    client: Client, operator: User, jeanne: Account, structure_b: Structure
) -> None:
    set_quota(cli_context(), structure_b, "PER_INT", 0)
    response = client.post(
        f"/api/v1/accounts/{jeanne.pk}/move",
        {"structure_id": structure_b.pk},
        content_type=JSON,
        **bearer(operator),
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Quota « Personnel et personnel interne » atteint")
