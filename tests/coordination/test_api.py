"""Coordination API and the outer seal of external accounts (middleware)."""

from __future__ import annotations

import pytest
from django.test import Client

from caducee.api.tokens import issue_token
from caducee.coordination import api as coordination_api
from caducee.coordination.models import Record
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure

SESSION = "django.contrib.auth.backends.ModelBackend"


def session_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=SESSION)
    return client


def bearer_client(user: User) -> Client:
    token = issue_token(cli_context(), user, "test")
    return Client(headers={"Authorization": f"Bearer {token}"})


# Every route of the coordination router, with its method, on record A / record B.
ROUTES = {
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
    assert found == ROUTES | {("GET", "/coordination/records")}


@pytest.mark.parametrize("method,path", sorted(ROUTES))
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
