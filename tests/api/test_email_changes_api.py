"""Email-change requests through the API: request, list, resend, cancel."""

from __future__ import annotations

from typing import Any

from django.test import Client

from caducee.accounts.models import EmailChangeRequest
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.conftest import PASSWORD
from tests.factories import make_account, password_hash
from tests.helpers import bearer_client

JSON = "application/json"


def last_action() -> str:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event.action


def test_request_list_resend_and_cancel(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "ORG")
    client = bearer_client(alice)
    response = client.post(
        f"/api/v1/accounts/{account.pk}/email-change",
        {"new_email": "Nouveau@CH-A.fr"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["new_email"] == "nouveau@ch-a.fr" and change["status"] == "pending"
    assert last_action() == "account.email_change_request"
    url = f"/api/v1/structures/{structure_a.pk}/email-changes"
    assert [c["id"] for c in client.get(url).json()] == [change["id"]]
    response = client.post(f"{url}/{change['id']}/resend")
    assert response.status_code == 200
    assert last_action() == "account.email_change_resend"
    assert client.delete(f"{url}/{change['id']}").status_code == 204
    assert last_action() == "account.email_change_cancel"
    assert client.get(url).json() == []
    assert [c["status"] for c in client.get(url, {"history": "true"}).json()] == ["cancelled"]
    assert client.delete(f"{url}/{change['id']}").status_code == 404


def test_a_second_request_is_422_on_new_email(alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "ORG")
    client = bearer_client(alice)
    url = f"/api/v1/accounts/{account.pk}/email-change"
    assert client.post(url, {"new_email": "a@ch-a.fr"}, content_type=JSON).status_code == 201
    response = client.post(url, {"new_email": "b@ch-a.fr"}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "new_email"


def test_structure_b_admin_gets_404(bob: User, alice: User, structure_a: Structure) -> None:
    account = make_account(structure_a, "ORG")
    bearer_client(alice).post(
        f"/api/v1/accounts/{account.pk}/email-change",
        {"new_email": "n@ch-a.fr"},
        content_type=JSON,
    )
    change = EmailChangeRequest.objects.get()
    client = bearer_client(bob)
    body = {"new_email": "x@ch-a.fr"}
    url = f"/api/v1/accounts/{account.pk}/email-change"
    assert client.post(url, body, content_type=JSON).status_code == 404
    url = f"/api/v1/structures/{structure_a.pk}/email-changes"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/{change.pk}/resend").status_code == 404
    assert client.delete(f"{url}/{change.pk}").status_code == 404
    change.refresh_from_db()
    assert change.status == "pending"


def test_a_read_only_token_cannot_request(
    client: Client, alice: User, structure_a: Structure
) -> None:
    account = make_account(structure_a, "ORG")
    token = issue_token(cli_context(), alice, "lecture", read_only=True)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/accounts/{account.pk}/email-change"
    response = client.post(url, {"new_email": "n@ch-a.fr"}, content_type=JSON, **headers)
    assert response.status_code == 403
    assert not EmailChangeRequest.objects.exists()


def test_the_list_filters_by_state(alice: User, structure_a: Structure) -> None:
    client = bearer_client(alice)
    first = make_account(structure_a, "PER")
    second = make_account(structure_a, "PER")
    for account, new in ((first, "un@example.org"), (second, "deux@example.org")):
        url = f"/api/v1/accounts/{account.pk}/email-change"
        assert client.post(url, {"new_email": new}, content_type=JSON).status_code == 201
    listing = f"/api/v1/structures/{structure_a.pk}/email-changes"
    change = client.get(listing, {"q": "deux"}).json()[0]
    assert (change["state"], change["state_label"], change["by_self"]) == (
        "pending",
        "En attente",
        False,
    )
    assert client.delete(f"{listing}/{change['id']}").status_code == 204
    assert [c["new_email"] for c in client.get(listing, {"state": "cancelled"}).json()] == [
        "deux@example.org"
    ]
    assert [c["new_email"] for c in client.get(listing, {"state": "pending"}).json()] == [
        "un@example.org"
    ]
    bad = client.get(listing, {"state": "perdu"})
    assert bad.status_code == 422 and "État « perdu » inconnu" in bad.json()["detail"]


def test_a_person_asks_and_cancels_their_own_change(structure_a: Structure) -> None:
    account = make_account(structure_a, "PER", "jeanne@ch-a.fr")
    assert account.user is not None
    account.user.password = password_hash(PASSWORD)
    account.user.save()
    client = bearer_client(account.user)
    assert client.get("/api/v1/me/email-change").json() == {
        "email": "jeanne@ch-a.fr",
        "pending": None,
    }
    wrong = client.post(
        "/api/v1/me/email-change",
        {"new_email": "perso@example.org", "password": "mauvais"},
        content_type=JSON,
    )
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["field"] == "password"
    response = client.post(
        "/api/v1/me/email-change",
        {"new_email": "perso@example.org", "password": PASSWORD},
        content_type=JSON,
    )
    assert response.status_code == 201 and response.json()["by_self"] is True
    assert client.get("/api/v1/me/email-change").json()["pending"]["new_email"] == (
        "perso@example.org"
    )
    assert client.delete("/api/v1/me/email-change").status_code == 204
    assert last_action() == "account.email_change_cancel"
    assert client.delete("/api/v1/me/email-change").status_code == 404


def test_a_person_without_mailbox_gets_404(charlie: User) -> None:
    response = bearer_client(charlie).post(
        "/api/v1/me/email-change",
        {"new_email": "perso@example.org", "password": PASSWORD},
        content_type=JSON,
    )
    assert response.status_code == 404
