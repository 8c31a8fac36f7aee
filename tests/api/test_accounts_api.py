from __future__ import annotations

from django.test import Client

from caducee.api.tokens import issue_token, revoke_token, user_for_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import make_account


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(cli_context(), user, 'test')}"}


def test_it_lists_accounts_with_every_field(
    client: Client, alice: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    response = client.get(f"/api/v1/structures/{structure_a.pk}/accounts", **bearer(alice))
    assert response.status_code == 200
    row = response.json()[0]
    assert row["email"] == account.email
    assert row["fields"]["rpps"] == account.rpps


def test_it_validates_ownership(
    client: Client, bob: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    headers = bearer(bob)
    assert client.get(f"/api/v1/structures/{structure_a.pk}/accounts", **headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{account.pk}", **headers).status_code == 404
    assert client.get("/api/v1/structures", **headers).json()[0]["name"] == "Clinique B"


def test_anonymous_is_refused(client: Client, structure_a: Structure) -> None:
    assert client.get(f"/api/v1/structures/{structure_a.pk}/accounts").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer cad_nope"}
    assert client.get("/api/v1/structures", **bad).status_code == 401


def test_revoked_token_stops_working(alice: User) -> None:
    token = issue_token(cli_context(), alice, "x")
    assert user_for_token(token) == alice
    revoke_token(cli_context(), alice, token[:10])
    assert user_for_token(token) is None


def test_openapi_schema_documents_the_field_table(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    properties = schema["components"]["schemas"]["AccountFields"]["properties"]
    assert properties["rpps"]["title"] == "RPPS"
    assert "Compte(s) de connexion" in {p["title"] for p in properties.values()}


def test_a_bulk_read_is_one_audit_event_with_its_filters(
    client: Client, alice: User, structure_a: Structure
) -> None:
    for _ in range(3):
        make_account(structure_a, "PER")
    headers = bearer(alice)
    # The last number, not the count: numbers may have gaps (PostgreSQL sequence).
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client.get(
        f"/api/v1/structures/{structure_a.pk}/accounts", {"type": "PER"}, **headers
    )
    assert len(response.json()) == 3
    [event] = AuditEvent.objects.filter(seq__gt=before)  # one event, not one per account
    assert event.action == "account.list_read" and event.channel == "api"
    assert event.actor == alice and event.structure_id == structure_a.pk
    assert event.detail == {"count": 3, "q": "", "state": "", "type": "PER"}
    client.get(f"/api/v1/structures/{structure_a.pk}/accounts", {"q": "zzz"}, **headers)
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.detail["count"] == 0 and last.detail["q"] == "zzz"


def test_a_refused_bulk_read_records_nothing(
    client: Client, bob: User, structure_a: Structure
) -> None:
    make_account(structure_a, "PER")
    before = AuditEvent.objects.count()
    response = client.get(f"/api/v1/structures/{structure_a.pk}/accounts", **bearer(bob))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="account.list_read").exists()
    assert AuditEvent.objects.count() == before + 1  # the token's creation only
