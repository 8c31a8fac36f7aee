"""Connection accounts of ORG/APP mailboxes and delegates, through the API."""

from __future__ import annotations

from typing import Any

from django.test import Client

from caducee.accounts.models import ConnectionLink, Delegation
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import make_account
from tests.helpers import bearer_client

JSON = "application/json"


def last_action() -> str:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event.action


def test_connection_accounts_are_listed_added_and_removed(
    alice: User, structure_a: Structure
) -> None:
    org = make_account(structure_a, "ORG")
    first = org.connection_links.get().account
    second = make_account(structure_a, "MED")
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{org.pk}/connection-accounts"
    assert [c["email"] for c in client.get(url).json()] == [first.email]
    response = client.post(url, {"emails": [second.email.upper()]}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert {c["email"] for c in response.json()} == {first.email, second.email}
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "account.connection_add"
    assert event.detail == {"connection_account": second.email}
    assert client.delete(f"{url}/{first.pk}").status_code == 204
    assert last_action() == "account.connection_remove"
    # An ORG mailbox keeps at least one connection account.
    response = client.delete(f"{url}/{second.pk}")
    assert response.status_code == 422
    assert ConnectionLink.objects.filter(mailbox=org).count() == 1
    assert client.delete(f"{url}/{first.pk}").status_code == 404


def test_a_nominative_account_has_no_connection_accounts(
    alice: User, structure_a: Structure
) -> None:
    per = make_account(structure_a, "PER")
    other = make_account(structure_a, "MED")
    url = f"/api/v1/accounts/{per.pk}/connection-accounts"
    response = bearer_client(alice).post(url, {"emails": other.email}, content_type=JSON)
    assert response.status_code == 422


def test_unknown_connection_account_is_422_keyed_by_field(
    alice: User, structure_a: Structure
) -> None:
    org = make_account(structure_a, "ORG")
    url = f"/api/v1/accounts/{org.pk}/connection-accounts"
    response = bearer_client(alice).post(url, {"emails": "inconnu@x.fr"}, content_type=JSON)
    assert response.status_code == 422
    assert {p["field"] for p in response.json()["problems"]} == {"connection_accounts"}


def test_delegates_are_listed_added_and_removed(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    delegate = make_account(structure_a, "MED")
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{account.pk}/delegates"
    assert client.get(url).json() == []
    response = client.post(url, {"email": delegate.email}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["email"] == delegate.email
    assert last_action() == "account.delegate_add"
    assert [d["account_id"] for d in client.get(url).json()] == [delegate.pk]
    assert client.delete(f"{url}/{delegate.pk}").status_code == 204
    assert last_action() == "account.delegate_remove"
    assert not Delegation.objects.exists()
    assert client.delete(f"{url}/{delegate.pk}").status_code == 404


def test_a_delegate_unknown_in_your_structures_is_422(
    alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    account = make_account(structure_a, "PER")
    elsewhere = make_account(structure_b, "MED")
    url = f"/api/v1/accounts/{account.pk}/delegates"
    response = bearer_client(alice).post(url, {"email": elsewhere.email}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "delegate"


def test_structure_b_admin_gets_404(bob: User, structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    member = org.connection_links.get().account
    account = make_account(structure_a, "PER")
    delegate = make_account(structure_a, "MED")
    Delegation.objects.create(account=account, delegate=delegate)
    client = bearer_client(bob)
    connections = f"/api/v1/accounts/{org.pk}/connection-accounts"
    delegates = f"/api/v1/accounts/{account.pk}/delegates"
    assert client.get(connections).status_code == 404
    body = {"emails": member.email}
    assert client.post(connections, body, content_type=JSON).status_code == 404
    assert client.delete(f"{connections}/{member.pk}").status_code == 404
    assert client.get(delegates).status_code == 404
    body = {"email": delegate.email}
    assert client.post(delegates, body, content_type=JSON).status_code == 404
    assert client.delete(f"{delegates}/{delegate.pk}").status_code == 404
    assert ConnectionLink.objects.filter(mailbox=org).exists()
    assert Delegation.objects.exists()


def test_a_read_only_token_cannot_write(
    client: Client, alice: User, structure_a: Structure
) -> None:
    org = make_account(structure_a, "ORG")
    member = org.connection_links.get().account
    token = issue_token(cli_context(), alice, "lecture", read_only=True)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/accounts/{org.pk}/connection-accounts"
    before = AuditEvent.objects.count()
    assert client.delete(f"{url}/{member.pk}", **headers).status_code == 403
    body = {"email": member.email}
    delegates = f"/api/v1/accounts/{member.pk}/delegates"
    assert client.post(delegates, body, content_type=JSON, **headers).status_code == 403
    assert AuditEvent.objects.count() == before
    assert client.get(url, **headers).status_code == 200


def test_default_mailbox_and_receipt_notification(alice: User, structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    member = org.connection_links.get().account
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{member.pk}/mailboxes"
    mailboxes = client.get(url).json()
    assert [(m["email"], m["is_own"], m["is_default"]) for m in mailboxes] == [
        (member.email, True, True),
        (org.email, False, False),
    ]
    response = client.put(
        f"/api/v1/accounts/{member.pk}/default-mailbox", {"mailbox_id": org.pk}, content_type=JSON
    )
    assert response.status_code == 200
    assert [m["is_default"] for m in response.json()] == [False, True]
    assert last_action() == "account.default_mailbox"
    response = client.put(f"{url}/{org.pk}/receipt-notification", {"on": True}, content_type=JSON)
    assert response.status_code == 200 and response.json()[1]["notify_on_receipt"] is True
    assert last_action() == "account.receipt_notification"
    other = make_account(structure_a, "ORG")
    response = client.put(
        f"/api/v1/accounts/{member.pk}/default-mailbox", {"mailbox_id": other.pk}, content_type=JSON
    )
    assert response.status_code == 404


def test_mailbox_settings_of_a_are_404_for_b(bob: User, structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    member = org.connection_links.get().account
    client = bearer_client(bob)
    assert client.get(f"/api/v1/accounts/{member.pk}/mailboxes").status_code == 404
    response = client.put(
        f"/api/v1/accounts/{member.pk}/default-mailbox", {"mailbox_id": org.pk}, content_type=JSON
    )
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.default_mailbox_id is None


def test_a_delegate_s_right_is_given_and_changed(
    alice: User, bob: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    delegate = make_account(structure_a, "MED")
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{account.pk}/delegates"
    response = client.post(url, {"email": delegate.email, "right": "reponse"}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["right"] == "reponse"
    assert response.json()["right_label"] == "Lecture et réponse pour le compte de"
    right_url = f"{url}/{delegate.pk}/right"
    response = client.put(right_url, {"right": "lecture"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["right"] == "lecture"
    assert last_action() == "account.delegate_right"
    assert client.get(url).json()[0]["right_label"] == "Lecture"
    response = client.put(right_url, {"right": "tout"}, content_type=JSON)
    assert response.status_code == 422 and response.json()["problems"][0]["field"] == "right"
    assert (
        client.put(f"{url}/{account.pk}/right", {"right": "lecture"}, content_type=JSON).status_code
        == 404
    )
    assert (
        bearer_client(bob).put(right_url, {"right": "reponse"}, content_type=JSON).status_code
        == 404
    )
    assert Delegation.objects.get().right == "lecture"
