from __future__ import annotations

import pytest
from django.test import Client

from caducee.core.context import cli_context
from caducee.directory.models import MailboxListing, Quota
from caducee.directory.operations import assign_mssante_address
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.directory.helpers import listed_account
from tests.helpers import api_headers

pytestmark = pytest.mark.django_db


def test_search_requires_a_token(client: Client) -> None:
    assert client.get("/api/v1/directory").status_code == 401


def test_search(client: Client, structure_a: Structure, charlie: User) -> None:
    account = listed_account(structure_a, last_name="ROUSSEAU", city="NANTES")
    assign_mssante_address(cli_context(), account, None)
    data = client.get("/api/v1/directory", {"q": "rouss nantes"}, **api_headers(charlie)).json()
    assert data["total"] == 1 and data["pages"] == 1
    result = data["results"][0]
    assert result["mssante"] == "jeanne.rousseau@ch-a.mssante.fr"
    assert result["fields"]["city"] == "NANTES"
    assert "rpps" in result["fields"] and "service" not in result["fields"]


def test_assign_address_and_red_list(
    client: Client, structure_a: Structure, alice: User, bob: User
) -> None:
    account = factories.make_account(structure_a, "PER", first_name="Léo", last_name="GIRARD")
    url = f"/api/v1/accounts/{account.pk}/mssante"
    denied = client.put(url, {}, content_type="application/json", **api_headers(bob))
    assert denied.status_code == 404
    ok = client.put(url, {"particle": None}, content_type="application/json", **api_headers(alice))
    assert ok.json() == {"account_id": account.pk, "mssante": "leo.girard@ch-a.mssante.fr"}
    bad = client.put(
        url, {"particle": "<b>"}, content_type="application/json", **api_headers(alice)
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("Adresse MSSanté refusée")
    red = client.put(
        f"/api/v1/accounts/{account.pk}/red-list",
        {"on": True},
        content_type="application/json",
        **api_headers(alice),
    )
    assert red.status_code == 200 and MailboxListing.objects.get(account=account).red_list


def test_report_quotas_and_publication(
    client: Client, structure_a: Structure, alice: User, bob: User, operator: User
) -> None:
    account = listed_account(structure_a)
    assign_mssante_address(cli_context(), account, None)
    base = f"/api/v1/structures/{structure_a.pk}"
    assert client.get(f"{base}/feed-report", **api_headers(bob)).status_code == 404
    report = client.get(f"{base}/feed-report", **api_headers(alice)).json()
    assert report["counts"]["accounts"] == 1
    codes = {f["code"] for f in report["accounts"][0]["findings"]}
    assert "specialty" in codes
    quotas = client.get(f"{base}/quotas", **api_headers(alice)).json()
    assert quotas[0] == {
        "group": "PER_INT",
        "label": "Personnel et personnel interne",
        "used": 1,
        "limit": None,
    }
    forbidden = client.put(
        f"{base}/quotas/ORG", {"limit": 3}, content_type="application/json", **api_headers(alice)
    )
    assert forbidden.status_code == 403
    done = client.put(
        f"{base}/quotas/ORG", {"limit": 3}, content_type="application/json", **api_headers(operator)
    )
    assert done.status_code == 200 and Quota.objects.get(group="ORG").limit == 3
    bundle = client.get(f"{base}/publication", **api_headers(alice)).json()
    assert bundle["resourceType"] == "Bundle"
    pipe = client.get(f"{base}/publication", {"format": "pipe"}, **api_headers(alice))
    assert pipe.content.decode().startswith("Type de BAL|Adresse BAL|")
    assert (
        client.get(f"{base}/publication", {"format": "x"}, **api_headers(alice)).status_code == 422
    )
    assert client.get(f"{base}/publication", **api_headers(bob)).status_code == 404


def test_a_request_the_schema_refuses_reads_like_any_422(
    client: Client, structure_a: Structure, alice: User
) -> None:
    """Missing or mistyped fields answer the documented 422 body (`detail`, `problems`),
    not ninja's own list (which the schema did not describe)."""
    account = factories.make_account(structure_a, "PER")
    url = f"/api/v1/accounts/{account.pk}/red-list"
    response = client.put(url, {}, content_type="application/json", **api_headers(alice))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("La requête ne respecte pas le schéma de l'API")
    assert body["problems"] == [
        {
            "field": "on",
            "code": "missing",
            "message": "Champ obligatoire : ajoutez-le.",
            "severity": "error",
        }
    ]
