"""Accounts through the API: read, create, edit, state and type changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from caducee.accounts.fields import FIELDS
from caducee.accounts.models import Account, AccountState
from caducee.api.tokens import issue_token, revoke_token, user_for_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import account_data, make_account, rpps
from tests.helpers import api_headers as bearer
from tests.helpers import bearer_client

JSON = "application/json"


def test_it_lists_accounts_with_every_field(
    client: Client, alice: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    response = client.get(f"/api/v1/structures/{structure_a.pk}/accounts", **bearer(alice))
    assert response.status_code == 200
    row = response.json()[0]
    assert row["email"] == account.email
    assert row["fields"]["rpps"] == account.rpps


def test_it_validates_ownership(client: Client, bob: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    headers = bearer(bob)
    assert client.get(f"/api/v1/structures/{structure_a.pk}/accounts", **headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{account.pk}", **headers).status_code == 404
    assert client.get("/api/v1/structures", **headers).json()[0]["name"] == "Clinique B"


def test_anonymous_is_refused(client: Client, structure_a: Structure) -> None:
    assert client.get(f"/api/v1/structures/{structure_a.pk}/accounts").status_code == 401
    bad: dict[str, Any] = {"HTTP_AUTHORIZATION": "Bearer cad_nope"}
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


def last_action() -> str:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event.action


def test_an_admin_creates_an_account_from_field_table_keys(
    alice: User, structure_a: Structure
) -> None:
    fields = account_data("PER", "jeanne.dupont@ch-a.fr")
    response = bearer_client(alice).post(
        f"/api/v1/structures/{structure_a.pk}/accounts",
        {"fields": fields, "visible": True, "notify": False},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    account = body["account"]
    assert account["email"] == "jeanne.dupont@ch-a.fr" and account["state"] == "preinscrit"
    assert account["visible"] is True and account["structure_id"] == structure_a.pk
    assert account["fields"]["rpps"] == fields["rpps"]
    assert last_action() == "account.create"


def test_invalid_account_is_422_with_problems_keyed_by_field_table_keys(
    alice: User, structure_a: Structure
) -> None:
    fields = account_data("PER", rpps="123", postal_code="1")
    response = bearer_client(alice).post(
        f"/api/v1/structures/{structure_a.pk}/accounts", {"fields": fields}, content_type=JSON
    )
    assert response.status_code == 422
    keys = {spec.key for spec in FIELDS}
    problems = response.json()["problems"]
    assert {"rpps", "postal_code"} <= {p["field"] for p in problems}
    assert {p["field"] for p in problems} <= keys
    assert not Account.objects.filter(email=fields["email"]).exists()


def test_the_input_schema_is_derived_from_the_field_table(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    properties = schema["components"]["schemas"]["AccountFieldsIn"]["properties"]
    assert set(properties) == {spec.key for spec in FIELDS} - {"structure"}
    assert properties["rpps"]["title"] == "RPPS"


def test_an_admin_edits_an_account(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    response = bearer_client(alice).patch(
        f"/api/v1/accounts/{account.pk}",
        {"fields": {"first_name": "Jeanne-Marie", "city": "lyon"}},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["account"]["fields"]["city"] == "LYON"
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "account.update" and event.channel == "api"
    account.refresh_from_db()
    assert account.first_name == "Jeanne-Marie"


def test_editing_the_type_or_the_email_is_refused_with_its_route_named(
    alice: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    response = bearer_client(alice).patch(
        f"/api/v1/accounts/{account.pk}",
        {"fields": {"type": "MED", "email": "autre@ch-a.fr"}},
        content_type=JSON,
    )
    assert response.status_code == 422
    codes = {(p["field"], p["code"]) for p in response.json()["problems"]}
    assert {("type", "type_change"), ("email", "email_change")} <= codes


def test_deactivate_then_reactivate(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "ORG")
    client = bearer_client(alice)
    response = client.post(f"/api/v1/accounts/{account.pk}/deactivate")
    assert response.status_code == 200 and response.json()["state"] == AccountState.DEACTIVATED
    assert last_action() == "account.deactivate"
    response = client.post(f"/api/v1/accounts/{account.pk}/reactivate")
    assert response.status_code == 200 and response.json()["state"] == AccountState.VALID
    assert last_action() == "account.reactivate"


def test_change_type_with_its_preview(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "MED")
    client = bearer_client(alice)
    preview = client.get(f"/api/v1/accounts/{account.pk}/type-preview", {"type": "per"})
    assert preview.status_code == 200
    body = preview.json()
    assert body["type"] == "PER"
    assert "rpps" in {p["field"] for p in body["problems"] if p["severity"] == "error"}
    account.refresh_from_db()
    assert account.type == "MED"  # a preview changes nothing
    url = f"/api/v1/accounts/{account.pk}/type"
    refused = client.post(url, {"type": "PER"}, content_type=JSON)
    assert refused.status_code == 422
    assert "rpps" in {p["field"] for p in refused.json()["problems"]}
    response = client.post(
        url, {"type": "PER", "fields": {"rpps": rpps(), "profession": "10"}}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["account"]["type"] == "PER"
    assert last_action() == "account.change_type"


def test_structure_b_admin_gets_404_on_a_accounts(bob: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    client = bearer_client(bob)
    fields = {"fields": account_data("PER")}
    assert (
        client.post(f"/api/v1/structures/{structure_a.pk}/accounts", fields, content_type=JSON)
    ).status_code == 404
    patch = {"fields": {"city": "NICE"}}
    assert (
        client.patch(f"/api/v1/accounts/{account.pk}", patch, content_type=JSON).status_code == 404
    )
    for action in ("deactivate", "reactivate"):
        assert client.post(f"/api/v1/accounts/{account.pk}/{action}").status_code == 404
    url = f"/api/v1/accounts/{account.pk}/type"
    assert client.post(url, {"type": "MED"}, content_type=JSON).status_code == 404
    preview = f"/api/v1/accounts/{account.pk}/type-preview"
    assert client.get(preview, {"type": "MED"}).status_code == 404
    account.refresh_from_db()
    assert account.state == AccountState.PREREGISTERED and account.city == "PARIS"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/structures/{s}/accounts", {"fields": {"type": "MED"}}),
        ("patch", "/api/v1/accounts/{a}", {"fields": {"city": "NICE"}}),
        ("post", "/api/v1/accounts/{a}/deactivate", {}),
        ("post", "/api/v1/accounts/{a}/type", {"type": "PER"}),
    ],
)
def test_a_read_only_token_cannot_write_accounts(
    client: Client, alice: User, structure_a: Structure, method: str, path: str, body: Any
) -> None:
    account = make_account(structure_a, "MED")
    token = issue_token(cli_context(), alice, "lecture", read_only=True)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    before = AuditEvent.objects.count()
    url = path.format(s=structure_a.pk, a=account.pk)
    response = getattr(client, method)(url, body, content_type=JSON, **headers)
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_console_session_writes_only_with_its_csrf_token(
    alice: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "ORG")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/api/v1/accounts/{account.pk}/deactivate"
    assert client.get(f"/api/v1/accounts/{account.pk}").status_code == 200
    assert client.post(url).status_code == 403
    token = get_random_string(32)  # what the console page's cookie holds
    client.cookies["csrftoken"] = token
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200
    account.refresh_from_db()
    assert account.state == AccountState.DEACTIVATED


def test_list_fields_accept_hr_wordings_and_suggest_on_typos(
    alice: User, structure_a: Structure
) -> None:
    url = f"/api/v1/structures/{structure_a.pk}/accounts"
    fields = account_data("MED", "secretaire@ch-a.fr", profession="Secrétaires médicales")
    response = bearer_client(alice).post(
        url, {"fields": fields, "notify": False}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    assert response.json()["account"]["fields"]["profession"] == "L10"
    fields = account_data("MED", "autre@ch-a.fr", profession="secretaire medicalle")
    response = bearer_client(alice).post(url, {"fields": fields}, content_type=JSON)
    assert response.status_code == 422
    [problem] = [p for p in response.json()["problems"] if p["field"] == "profession"]
    assert problem["code"] == "choice"
    assert "Vouliez-vous dire : « Secrétaire médical(e) » ?" in problem["message"]
