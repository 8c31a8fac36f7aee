"""Coordination API: records, liaison log and documents — each route works, is refused
(structure B: 404; external partner off their records: 404; missing right: 403) and
writes its audit event."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from caducee.audit.models import AuditEvent
from caducee.coordination.models import Partner, Record, RecordDocument
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client

API = "/api/v1/coordination"


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, action
    return event


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(API + url, data, content_type="application/json")


def put(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.put(API + url, data, content_type="application/json")


NEW_RECORD = {"last_name": "Petit", "first_name": "Louise", "birth_date": "03/04/1940"}


class TestRecords:
    def test_create_read_update_and_their_events(
        self, camille: User, structure_a: Structure
    ) -> None:
        client = bearer_client(camille)
        created = post(client, "/records", {**NEW_RECORD, "structure_id": structure_a.pk})
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["last_name"] == "PETIT" and body["birth_date"] == "1940-04-03"
        assert "record.create" in body["permissions"]
        event = last_event("coordination.record_create")
        assert event.actor == camille and event.channel == "api"
        assert event.target_id == str(body["id"])

        url = f"/records/{body['id']}"
        changed = put(client, url, {**NEW_RECORD, "city": "Albi", "team": [camille.pk]})
        assert changed.status_code == 200, changed.content
        assert changed.json()["city"] == "ALBI" and changed.json()["team_ids"] == [camille.pk]
        assert last_event("coordination.record_update").detail["changes"]["city"] == ["", "ALBI"]

        read = client.get(API + url)
        assert read.status_code == 200 and read.json()["city"] == "ALBI"
        assert last_event("coordination.record_read").detail["page"] == "api"

    def test_invalid_input_is_422_with_problems(
        self, camille: User, structure_a: Structure
    ) -> None:
        answer = post(
            bearer_client(camille),
            "/records",
            {**NEW_RECORD, "birth_date": "demain", "structure_id": structure_a.pk},
        )
        assert answer.status_code == 422
        assert answer.json()["problems"][0]["field"] == "birth_date"

    def test_reader_is_403_and_structure_b_is_404(
        self,
        lucas: User,
        camille: User,
        structure_a: Structure,
        structure_b: Structure,
        record_a: Record,
        record_c: Record,
    ) -> None:
        reader = bearer_client(lucas)
        refused = post(reader, "/records", {**NEW_RECORD, "structure_id": structure_a.pk})
        assert refused.status_code == 403 and refused.json()["detail"]
        assert put(reader, f"/records/{record_a.pk}", NEW_RECORD).status_code == 403
        coordinator = bearer_client(camille)
        for answer in (
            post(coordinator, "/records", {**NEW_RECORD, "structure_id": structure_b.pk}),
            post(coordinator, "/records", {**NEW_RECORD, "structure_id": 999999}),
            put(coordinator, f"/records/{record_c.pk}", NEW_RECORD),
            coordinator.get(f"{API}/records/{record_c.pk}"),
        ):
            assert answer.status_code == 404, answer.content
        assert not Record.objects.filter(last_name="PETIT").exists()

    def test_external_partner_cannot_create_or_edit(
        self, fcorre: User, structure_a: Structure, record_a: Record, record_b: Record
    ) -> None:
        client = bearer_client(fcorre)
        assert (
            post(client, "/records", {**NEW_RECORD, "structure_id": structure_a.pk}).status_code
            == 404
        )
        assert put(client, f"/records/{record_a.pk}", NEW_RECORD).status_code == 404
        assert put(client, f"/records/{record_b.pk}", NEW_RECORD).status_code == 404

    def test_the_list_is_paged(self, camille: User, structure_a: Structure) -> None:
        from caducee.coordination.api import records as records_api
        from tests.coordination.conftest import make_record

        for name in ("Aa", "Bb", "Cc"):
            make_record(structure_a, name, "X", "01/01/1950")
        client = bearer_client(camille)
        original = records_api.RECORDS_PAGE
        records_api.RECORDS_PAGE = 2
        try:
            first = client.get(f"{API}/records").json()
            second = client.get(f"{API}/records?page=2").json()
        finally:
            records_api.RECORDS_PAGE = original
        assert [r["last_name"] for r in first] == ["AA", "BB"]
        assert [r["last_name"] for r in second] == ["CC"]
        assert last_event("coordination.records_list").detail["count"] == 1


class TestLiaison:
    def test_list_and_add_are_audited(self, camille: User, record_a: Record) -> None:
        client = bearer_client(camille)
        added = post(client, f"/records/{record_a.pk}/liaison", {"text": "Visite faite."})
        assert added.status_code == 201
        assert last_event("coordination.liaison_add").detail["entry"] == added.json()["id"]
        listed = client.get(f"{API}/records/{record_a.pk}/liaison")
        assert [e["text"] for e in listed.json()] == ["Visite faite."]
        assert last_event("coordination.record_read").detail["page"] == "api:liaison"

    def test_refusals(
        self, lucas: User, fcorre: User, camille: User, record_b: Record, record_c: Record
    ) -> None:
        assert (
            post(bearer_client(lucas), f"/records/{record_b.pk}/liaison", {"text": "x"}).status_code
            == 403
        )
        for client, record in (
            (bearer_client(fcorre), record_b),
            (bearer_client(camille), record_c),
        ):
            assert client.get(f"{API}/records/{record.pk}/liaison").status_code == 404
            assert post(client, f"/records/{record.pk}/liaison", {"text": "x"}).status_code == 404


def upload(client: Client, record: Record, content: bytes, title: str = "Ordonnance") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("ordonnance.pdf", content, content_type="application/pdf")
    return client.post(f"{API}/records/{record.pk}/documents", {"file": file, "title": title})


class TestDocuments:
    def test_upload_list_download_round_trip(self, camille: User, record_a: Record) -> None:
        client = bearer_client(camille)
        content = b"%PDF-1.4 ordonnance\n" * 100
        added = upload(client, record_a, content)
        assert added.status_code == 201, added.content
        document = added.json()
        assert document["size"] == len(content) and document["title"] == "Ordonnance"
        assert last_event("coordination.document_add").detail["document"] == document["id"]
        listed = client.get(f"{API}/records/{record_a.pk}/documents").json()
        assert [d["id"] for d in listed] == [document["id"]]
        got = client.get(f"{API}/records/{record_a.pk}/documents/{document['id']}")
        assert got.status_code == 200
        assert b"".join(got.streaming_content) == content  # type: ignore[attr-defined]
        assert got["Content-Disposition"].startswith('attachment; filename="ordonnance.pdf"')
        assert last_event("coordination.document_read").detail["document"] == document["id"]

    def test_too_large_is_413_and_nothing_is_stored(
        self, camille: User, record_a: Record, settings: Any
    ) -> None:
        settings.COORDINATION_MAX_UPLOAD_MB = 1
        answer = upload(bearer_client(camille), record_a, b"x" * (1024 * 1024 + 1))
        assert answer.status_code == 413 and "1 Mo" in answer.json()["detail"]
        assert not RecordDocument.objects.exists()

    def test_empty_file_is_422(self, camille: User, record_a: Record) -> None:
        answer = upload(bearer_client(camille), record_a, b"")
        assert answer.status_code == 422

    def test_refusals(
        self,
        lucas: User,
        fcorre: User,
        camille: User,
        record_a: Record,
        record_b: Record,
        record_c: Record,
        corre_partner: Partner,
    ) -> None:
        assert upload(bearer_client(lucas), record_a, b"data").status_code == 403
        stored = upload(bearer_client(camille), record_b, b"data").json()
        for client, record in (
            (bearer_client(fcorre), record_b),
            (bearer_client(camille), record_c),
        ):
            assert upload(client, record, b"data").status_code == 404
            assert client.get(f"{API}/records/{record.pk}/documents").status_code == 404
        outsider = bearer_client(fcorre)
        url = f"{API}/records/{record_b.pk}/documents/{stored['id']}"
        assert outsider.get(url).status_code == 404
        # Another record's document, through a record the partner opens: 404 too.
        url = f"{API}/records/{record_a.pk}/documents/{stored['id']}"
        assert outsider.get(url).status_code == 404
        # The partner's profile (contributor) may add documents to record A.
        assert upload(outsider, record_a, b"compte rendu").status_code == 201


@pytest.mark.parametrize("page", ["0", "-3"])
def test_a_page_below_one_reads_as_the_first(camille: User, record_a: Record, page: str) -> None:
    listed = bearer_client(camille).get(f"{API}/records?page={page}").json()
    assert [r["id"] for r in listed] == [record_a.pk]


def test_a_create_only_profile_gets_its_201(structure_a: Structure) -> None:
    """The record is created; the answer shows no permission on it (none to read it)."""
    from caducee.coordination import operations
    from caducee.core.context import cli_context
    from tests.coordination.conftest import member

    operations.create_profile(cli_context(), structure_a, "Saisie", "interne", ["record.create"])
    clerk = member(structure_a, "saisie@ch-a.fr", "Saisie")
    answer = post(bearer_client(clerk), "/records", {**NEW_RECORD, "structure_id": structure_a.pk})
    assert answer.status_code == 201, answer.content
    assert answer.json()["permissions"] == []
    assert last_event("coordination.record_create").actor == clerk
