"""« Activité structure » in the API: the page's tables, same access rule (404 otherwise)."""

from __future__ import annotations

from django.test import Client

from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import api_headers


def test_an_admin_reads_her_structure_s_tables(
    client: Client, alice: User, structure_a: Structure
) -> None:
    factories.make_account(structure_a, "MED")
    response = client.get(f"/api/v1/structures/{structure_a.pk}/activity", **api_headers(alice))
    assert response.status_code == 200
    tables = {t["key"]: t for t in response.json()["tables"]}
    assert list(tables) == [
        "comptes-par-etat",
        "comptes-par-type",
        "messages-par-semaine",
        "boites",
        "imports",
    ]
    assert tables["boites"]["columns"] == ["Boîtes", "Nombre"]
    assert tables["boites"]["rows"][2] == ["Jamais utilisées", 1]


def test_another_structure_is_404(client: Client, bob: User, structure_a: Structure) -> None:
    response = client.get(f"/api/v1/structures/{structure_a.pk}/activity", **api_headers(bob))
    assert response.status_code == 404


def test_the_platform_figures_are_the_operator_s(
    client: Client, operator: User, alice: User, structure_a: Structure
) -> None:
    factories.make_account(structure_a, "MED")
    response = client.get("/api/v1/activity", **api_headers(operator))
    assert response.status_code == 200
    assert len(response.json()["tables"]) == 5
    assert client.get("/api/v1/activity", **api_headers(alice)).status_code == 404
