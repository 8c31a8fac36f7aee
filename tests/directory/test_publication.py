"""National publication: FHIR shape, the 31-column extraction and the HTTP push."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from django.test import override_settings

from caducee.accounts.models import Account
from caducee.accounts.operations import create_account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import NotFound, OperationError
from caducee.directory import publication
from caducee.directory.models import MailboxListing
from caducee.directory.operations import assign_mssante_address, set_red_list
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.directory.helpers import listed_account

pytestmark = pytest.mark.django_db


def with_address(structure: Structure, kind: str = "PER", **overrides: Any) -> Account:
    account = listed_account(structure, kind, **overrides)
    assign_mssante_address(cli_context(), account, None)
    return account


@pytest.fixture
def published_set(structure_a: Structure) -> dict[str, Account]:
    accounts = {
        kind: with_address(
            structure_a, kind, specialty="SM54", address1="1 rue X", phone1="0102030405"
        )
        for kind in ("PER", "INT", "ORG", "APP")
    }
    accounts["MED"] = listed_account(structure_a, "MED")
    red = with_address(structure_a, "PER", last_name="ROUGE")
    set_red_list(cli_context(), red, True)
    accounts["RED"] = red
    test = create_account(
        cli_context(), structure_a, factories.account_data("PER", last_name="ESSAI"), is_test=True
    ).account
    from caducee.accounts.operations import mark_finalised

    mark_finalised(test)
    assign_mssante_address(cli_context(), test, None)
    accounts["TEST"] = test
    return accounts


def addresses(structure: Structure) -> set[str]:
    return {r.address for r in publication.publishable(structure)}


def test_publishable_records_exclude_med_red_list_and_test(
    structure_a: Structure, published_set: dict[str, Account]
) -> None:
    found = addresses(structure_a)
    assert len(found) == 4
    assert all(a.startswith("test.") is False for a in found)
    assert not any("rouge" in a for a in found)


def test_fhir_bundle_shape(structure_a: Structure, published_set: dict[str, Account]) -> None:
    text = publication.export(cli_context(), structure_a, "fhir")
    bundle = json.loads(text)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = {r["resourceType"] for r in resources}
    assert kinds == {"Organization", "Practitioner", "PractitionerRole"}
    per = published_set["PER"]
    practitioner = next(r for r in resources if r["resourceType"] == "Practitioner")
    assert practitioner["identifier"][0] == {
        "use": "official",
        "system": "urn:oid:1.2.250.1.71.4.2.1",
        "value": "8" + per.rpps,
    }
    telecoms = [t for r in resources for t in r.get("telecom", [])]
    assert len(telecoms) == 4
    for point in telecoms:
        assert point["system"] == "email" and point["value"].endswith("@ch-a.mssante.fr")
        urls = {e["url"] for e in point["extension"]}
        assert publication.EMAIL_TYPE_URL in urls and publication.METADATA_URL in urls
        email_type = next(e for e in point["extension"] if e["url"] == publication.EMAIL_TYPE_URL)
        assert email_type["valueCoding"]["code"] == "MSSANTE"
        meta = next(e for e in point["extension"] if e["url"] == publication.METADATA_URL)
        sub = {e["url"]: e for e in meta["extension"]}
        assert sub["type"]["valueCodeableConcept"]["coding"][0]["code"] in {"PER", "ORG", "APP"}
        assert sub["listeRouge"]["valueBoolean"] is False
    org_points = [t for r in resources if r["resourceType"] == "Organization" for t in r["telecom"]]
    org_meta = {
        e["url"]: e
        for p in org_points
        for x in p["extension"]
        if x["url"] == publication.METADATA_URL
        for e in x["extension"]
    }
    assert org_meta["description"]["valueString"] == "Secrétariat du service"
    assert org_meta["responsible"]["valueString"].startswith("MARTIN Paul")
    orgs = [r for r in resources if r["resourceType"] == "Organization"]
    for org in orgs:
        assert org["identifier"][0]["value"][0] in "123"


def test_pipe_extraction_has_31_columns_on_every_line(
    structure_a: Structure, published_set: dict[str, Account]
) -> None:
    text = publication.export(cli_context(), structure_a, "pipe")
    lines = text.splitlines()
    assert lines[0].split("|")[:2] == ["Type de BAL", "Adresse BAL"]
    assert all(len(line.split("|")) == 31 for line in lines)
    body = [line.split("|") for line in lines[1:]]
    assert sorted(row[0] for row in body) == ["ORG", "PER", "PER"]  # APP not in the extraction
    per = published_set["PER"]
    per_row = next(r for r in body if r[3] == per.rpps)
    assert per_row[2] == "8" and per_row[4] == "8" + per.rpps
    assert per_row[17] == "O"
    text.encode("utf-8")


def test_pipe_cells_cannot_break_columns(structure_a: Structure) -> None:
    with_address(structure_a, "PER", address1="1 | rue", last_name="A|B")
    lines = publication.export(cli_context(), structure_a, "pipe").splitlines()
    assert all(len(line.split("|")) == 31 for line in lines)


def test_export_is_404_for_another_structure(structure_a: Structure, bob: User) -> None:
    with pytest.raises(NotFound):
        publication.export(Context(user=bob), structure_a, "fhir")


class Sink(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Sink.received.append(
            {
                "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(Sink.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def sink() -> Iterator[str]:
    Sink.received = []
    Sink.status = 200
    server = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def operations(entry: dict[str, Any]) -> list[str]:
    return [
        next(p["valueCode"] for p in op["part"] if p["name"] == "type")
        for op in entry["resource"]["parameter"]
    ]


def test_push_sends_changes_and_remembers_them(
    structure_a: Structure, published_set: dict[str, Account], sink: str
) -> None:
    with override_settings(DIRECTORY_PUSH_URL=sink, DIRECTORY_PUSH_TOKEN="s3cret"):
        result = publication.push(cli_context(), structure_a)
        assert (result.inserted, result.replaced, result.deleted) == (4, 0, 0)
        sent = Sink.received[0]
        assert sent["auth"] == "Bearer s3cret"
        assert sent["type"].startswith("application/fhir+json")
        assert sent["body"]["type"] == "batch"
        assert all(e["request"]["method"] == "PATCH" for e in sent["body"]["entry"])
        assert all(operations(e) == ["add"] for e in sent["body"]["entry"])
        per = published_set["PER"]
        listing = MailboxListing.objects.get(account=per)
        assert listing.published_type == "PER" and listing.published_address
        # Nothing changed: nothing sent.
        assert publication.push(cli_context(), structure_a).status == 0
        assert len(Sink.received) == 1
        # Metadata change: replace; red list: delete.
        org = published_set["ORG"]
        Account.objects.filter(pk=org.pk).update(service="Cardiologie")
        set_red_list(cli_context(), per, True)
        result = publication.push(cli_context(), structure_a)
        assert (result.inserted, result.replaced, result.deleted) == (0, 1, 1)
        kinds = sorted(tuple(operations(e)) for e in Sink.received[-1]["body"]["entry"])
        assert kinds == [("delete",), ("delete", "add")]
        assert MailboxListing.objects.get(account=per).published_address == ""
    event = AuditEvent.objects.filter(action="directory.push").last()
    assert event is not None and event.detail["deleted"]


def test_changed_address_is_withdrawn_then_republished(
    structure_a: Structure, published_set: dict[str, Account], sink: str
) -> None:
    with override_settings(DIRECTORY_PUSH_URL=sink):
        publication.push(cli_context(), structure_a)
        per = published_set["PER"]
        old = MailboxListing.objects.get(account=per).published_address
        assign_mssante_address(cli_context(), per, "nouvelle.adresse")
        first = publication.push(cli_context(), structure_a)
        assert (first.inserted, first.deleted) == (0, 1)
        assert old in json.dumps(Sink.received[-1]["body"])
        second = publication.push(cli_context(), structure_a)
        assert second.inserted == 1
        listing = MailboxListing.objects.get(account=per)
        assert listing.published_address == "nouvelle.adresse@ch-a.mssante.fr"


def test_push_failure_marks_nothing_published(
    structure_a: Structure, published_set: dict[str, Account], sink: str
) -> None:
    Sink.status = 500
    with (
        override_settings(DIRECTORY_PUSH_URL=sink),
        pytest.raises(OperationError, match="HTTP 500"),
    ):
        publication.push(cli_context(), structure_a)
    assert not MailboxListing.objects.exclude(published_address="").exists()


def test_push_without_configuration_or_server(structure_a: Structure) -> None:
    with (
        override_settings(DIRECTORY_PUSH_URL=""),
        pytest.raises(OperationError, match="CADUCEE_DIRECTORY_PUSH_URL"),
    ):
        publication.push(cli_context(), structure_a)
    with_address(structure_a)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        override_settings(DIRECTORY_PUSH_URL=f"http://127.0.0.1:{port}/", DIRECTORY_PUSH_TIMEOUT=2),
        pytest.raises(OperationError, match="ne répond pas"),
    ):
        publication.push(cli_context(), structure_a)
