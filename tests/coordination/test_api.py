"""Coordination API and the outer seal of external accounts (middleware)."""

from __future__ import annotations

import pytest
from django.test import Client

from caducee.api.main import api
from caducee.coordination import api as coordination_api
from caducee.coordination.models import Record
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client, client_for


def session_client(user: User) -> Client:
    return client_for(user)


# Every route of the coordination router, with its method (tests/coordination/test_api_*.py
# exercise each one: success, refusals, audit event).
ROUTES = {
    ("GET", "/coordination/records"),
    ("POST", "/coordination/records"),
    ("GET", "/coordination/records/{record_id}"),
    ("PUT", "/coordination/records/{record_id}"),
    ("GET", "/coordination/records/{record_id}/liaison"),
    ("POST", "/coordination/records/{record_id}/liaison"),
    ("GET", "/coordination/records/{record_id}/documents"),
    ("POST", "/coordination/records/{record_id}/documents"),
    ("GET", "/coordination/records/{record_id}/documents/{document_id}"),
    ("GET", "/coordination/records/{record_id}/partners"),
    ("POST", "/coordination/records/{record_id}/partners"),
    ("DELETE", "/coordination/records/{record_id}/partners/{partner_id}"),
    ("PUT", "/coordination/records/{record_id}/partners/{partner_id}/access"),
    ("POST", "/coordination/records/{record_id}/partners/{partner_id}/external-account"),
    ("GET", "/coordination/structures/{structure_id}/contacts"),
    ("POST", "/coordination/structures/{structure_id}/contacts"),
    ("POST", "/coordination/structures/{structure_id}/contacts/import"),
    ("GET", "/coordination/structures/{structure_id}/directory"),
    ("PUT", "/coordination/contacts/{contact_id}"),
    ("GET", "/coordination/structures/{structure_id}/profiles"),
    ("POST", "/coordination/structures/{structure_id}/profiles"),
    ("PUT", "/coordination/profiles/{profile_id}"),
    ("DELETE", "/coordination/profiles/{profile_id}"),
    ("GET", "/coordination/structures/{structure_id}/memberships"),
    ("PUT", "/coordination/structures/{structure_id}/memberships"),
    ("DELETE", "/coordination/memberships/{membership_id}"),
    ("GET", "/coordination/external-accounts"),
    ("POST", "/coordination/external-accounts"),
    ("GET", "/coordination/external-accounts/{external_id}"),
    ("PUT", "/coordination/external-accounts/{external_id}"),
    ("POST", "/coordination/external-accounts/{external_id}/activation-link"),
    ("PUT", "/coordination/external-accounts/{external_id}/structures/{structure_id}/suspension"),
    ("GET", "/coordination/invitations"),
    ("POST", "/coordination/invitations/{grant_id}/accept"),
}

# The record routes an external partner may call on the records they are a partner of.
EXTERNAL_ROUTES = {
    ("GET", "/coordination/records/{record_id}"),
    ("GET", "/coordination/records/{record_id}/liaison"),
    ("POST", "/coordination/records/{record_id}/liaison"),
    ("GET", "/coordination/records/{record_id}/documents"),
}


def test_the_table_names_every_route() -> None:
    found = {
        (method, path)
        for path, view in coordination_api.router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    assert found == ROUTES


def test_every_route_declares_its_statuses_with_typed_bodies() -> None:
    """Each route lists 401 and 429 (authentication) and a typed body for every error."""
    paths = api.get_openapi_schema(path_prefix="")["paths"]
    for method, path in ROUTES:
        operation = paths[path][method.lower()]
        statuses = {str(status) for status in operation["responses"]}
        assert {"401", "429"} <= statuses, (method, path)
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                assert "content" in answer, (method, path, status)
        if path.count("{"):
            assert "404" in statuses, (method, path)
        if method in {"POST", "PUT"} and path != "/coordination/invitations/{grant_id}/accept":
            assert "422" in statuses, (method, path)


@pytest.mark.parametrize(("method", "path"), sorted(EXTERNAL_ROUTES))
@pytest.mark.parametrize("make_client", [session_client, bearer_client])
def test_external_reaches_record_a_only(
    fcorre: User,
    record_a: Record,
    record_b: Record,
    record_c: Record,
    method: str,
    path: str,
    make_client: object,
) -> None:
    client = make_client(fcorre)  # type: ignore[operator]
    for record, expected in ((record_a, {200, 201}), (record_b, {404}), (record_c, {404})):
        url = "/api/v1" + path.format(record_id=record.pk)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, {"text": "Vu ce jour."}, content_type="application/json")
        assert response.status_code in expected, (url, response.content)


@pytest.mark.parametrize("make_client", [session_client, bearer_client])
def test_external_list_and_nothing_else(
    fcorre: User, record_a: Record, record_b: Record, make_client: object
) -> None:
    client = make_client(fcorre)  # type: ignore[operator]
    listed = client.get("/api/v1/coordination/records").json()
    assert [r["id"] for r in listed] == [record_a.pk]
    for url in ("/api/v1/structures", "/api/v1/directory/search?q=a", "/api/v1/openapi.json"):
        assert client.get(url).status_code == 404, url


def test_internal_coordinator_and_other_structure(
    camille: User, bob: User, record_a: Record, record_c: Record
) -> None:
    client = bearer_client(camille)
    ids = {r["id"] for r in client.get("/api/v1/coordination/records").json()}
    assert record_a.pk in ids and record_c.pk not in ids
    added = client.post(
        f"/api/v1/coordination/records/{record_a.pk}/liaison",
        {"text": "Appel de la fille.", "occurred_on": "01/02/2024"},
        content_type="application/json",
    )
    assert added.status_code == 201 and added.json()["occurred_on"] == "2024-02-01"
    bad = client.post(
        f"/api/v1/coordination/records/{record_a.pk}/liaison",
        {"text": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "text"
    other = bearer_client(bob)
    assert other.get(f"/api/v1/coordination/records/{record_a.pk}").status_code == 404
    # Bob administers B, but his role alone opens no record: he needs a profile.
    assert other.get("/api/v1/coordination/records").json() == []
    from tests.coordination.conftest import member

    coord_b = bearer_client(member(record_c.structure, "coord.b@clinique-b.fr", "Lecteur interne"))
    assert [r["id"] for r in coord_b.get("/api/v1/coordination/records").json()] == [record_c.pk]


def test_reader_may_not_write(lucas: User, record_a: Record) -> None:
    response = bearer_client(lucas).post(
        f"/api/v1/coordination/records/{record_a.pk}/liaison",
        {"text": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403


class TestOuterSeal:
    def test_other_apps_pages_answer_404(self, fcorre: User, structure_a: Structure) -> None:
        client = session_client(fcorre)
        for url in (
            "/annuaire/",
            "/messagerie/",
            f"/console/structures/{structure_a.pk}/",
            "/api/v1/structures",
        ):
            assert client.get(url).status_code == 404, url

    def test_landing_pages_lead_to_the_records(self, fcorre: User) -> None:
        client = session_client(fcorre)
        for url in ("/", "/ma-boite/", "/console/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == "/coordination/", url

    def test_own_security_page_and_logout_stay_open(self, fcorre: User) -> None:
        client = session_client(fcorre)
        assert client.get("/securite/").status_code == 200
        assert client.post("/deconnexion/").status_code == 302

    def test_internal_people_are_not_affected(self, alice: User) -> None:
        assert session_client(alice).get("/annuaire/").status_code == 200


def test_list_and_reads_are_audited_for_internal_people(
    camille: User, record_a: Record, record_b: Record
) -> None:
    """Security review M5: one event per list request (count and ids), and each read."""
    from caducee.audit.models import AuditEvent

    client = bearer_client(camille)
    before = AuditEvent.objects.count()
    listed = client.get("/api/v1/coordination/records").json()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "coordination.records_list"
    assert event.actor == camille and event.channel == "api"
    assert event.detail["count"] == len(listed) == 2
    assert sorted(event.detail["records"]) == sorted(r["id"] for r in listed)
    for suffix in ("", "/liaison", "/documents"):
        client.get(f"/api/v1/coordination/records/{record_a.pk}{suffix}")
    reads = AuditEvent.objects.filter(action="coordination.record_read", actor=camille)
    assert sorted(e.detail["page"] for e in reads) == ["api", "api:documents", "api:liaison"]
