"""The service centre's queue is the operator's: every onboarding URL that opens a request
answers 404 to a structure admin (and to a person with no role), and changes nothing.

The table below must name every URL of the module, so that a new page cannot be added
without deciding who may open it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.emails.models import OutgoingEmail
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.onboarding.urls import urlpatterns
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client, client_for

pytestmark = pytest.mark.django_db

# url name → (method, takes the request's id, POST data)
OPERATOR_ONLY: dict[str, tuple[str, bool, dict[str, str]]] = {
    "queue": ("get", False, {}),
    "detail": ("get", True, {}),
    "take": ("post", True, {}),
    "answer": ("post", True, {"decision": "accepter", "message": "Bienvenue."}),
    "create_structure": ("post", True, {"domain": ""}),
}
PUBLIC = {"request", "request_sent"}  # the form and its acknowledgement: anyone

API_ROUTES = [
    ("get", "/api/v1/connection-requests", None),
    ("get", "/api/v1/connection-requests/{id}", None),
    ("post", "/api/v1/connection-requests/{id}/take", {}),
    ("post", "/api/v1/connection-requests/{id}/answer", {"accept": True, "message": "Oui."}),
    ("post", "/api/v1/connection-requests/{id}/structure", {"domain": ""}),
]


def test_the_table_names_every_url_of_the_module() -> None:
    assert {p.name for p in urlpatterns} == set(OPERATOR_ONLY) | PUBLIC


@pytest.mark.parametrize("name", sorted(OPERATOR_ONLY))
def test_it_validates_ownership(
    name: str,
    alice: User,
    bob: User,
    charlie: User,
    operator: User,
    pharmacy_request: ConnectionRequest,
) -> None:
    method, with_id, data = OPERATOR_ONLY[name]
    url = reverse(f"onboarding:{name}", args=[pharmacy_request.pk] if with_id else [])
    events, emails, structures = (
        AuditEvent.objects.count(),
        OutgoingEmail.objects.count(),
        Structure.objects.count(),
    )
    for person in (alice, bob, charlie):
        response = getattr(client_for(person), method)(url, data)
        assert response.status_code == 404, (name, person.email)
        assert "Page introuvable" in response.content.decode()
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.NEW and pharmacy_request.structure is None
    assert AuditEvent.objects.count() == events
    assert OutgoingEmail.objects.count() == emails
    assert Structure.objects.count() == structures
    # The operator does open it (the probe above is not a 404 for everyone).
    assert getattr(client_for(operator), method)(url, data).status_code in (200, 302)


def test_an_unknown_request_is_a_404_for_the_operator(operator: User) -> None:
    for name, (method, with_id, data) in OPERATOR_ONLY.items():
        if with_id:
            url = reverse(f"onboarding:{name}", args=[999999])
            assert getattr(client_for(operator), method)(url, data).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES)
def test_the_api_validates_ownership(
    method: str,
    path: str,
    body: dict[str, object] | None,
    alice: User,
    charlie: User,
    pharmacy_request: ConnectionRequest,
) -> None:
    url = path.format(id=pharmacy_request.pk)
    for person in (alice, charlie):
        client = bearer_client(person)
        if body is None:
            response = client.get(url)
        else:
            response = client.post(url, body, content_type="application/json")
        assert response.status_code == 404, (path, person.email)
        assert "centre de services" in response.json()["detail"]
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.NEW
