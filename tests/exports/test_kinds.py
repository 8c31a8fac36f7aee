"""Each kind of background export writes the same file as its immediate download."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.urls import reverse

from caducee.core.context import Context, cli_context
from caducee.directory import publication
from caducee.directory.operations import assign_mssante_address
from caducee.exports.kinds import KINDS
from caducee.exports.models import ExportFile, ExportState
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.directory.helpers import listed_account
from tests.exports.helpers import Capture, built_export
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db


def test_the_kinds() -> None:
    assert {name: kind.formats for name, kind in KINDS.items()} == {
        "accounts": ("csv", "xlsx"),
        "publication": ("fhir", "pipe"),
    }


@pytest.mark.parametrize("fmt", ["fhir", "pipe"])
def test_a_large_publication_export_is_the_immediate_one(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture, fmt: str
) -> None:
    for n in range(3):
        assign_mssante_address(cli_context(), listed_account(structure_a, last_name=f"N{n}"), None)
    client = Client()
    client.force_login(alice)
    with override_settings(EXPORT_BACKGROUND_ROWS=2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(reverse("directory:export", args=[structure_a.pk, fmt]))
        assert response["Location"] == reverse("exports:mine")
    run_ready_tasks()
    export = ExportFile.objects.get()
    assert export.state == ExportState.READY and export.kind == "publication"
    with default_storage.open(export.file_name, "rb") as data:
        text = data.read().decode("utf-8")
    immediate = publication.export(Context(user=alice), structure_a, fmt)
    if fmt == "fhir":  # the timestamp differs
        assert json.loads(text)["entry"] == json.loads(immediate)["entry"]
        assert export.download_name == f"publication-{structure_a.pk}.json"
    else:
        assert text == immediate and text.count("\n") == 4
    download = client.get(reverse("exports:download", args=[export.pk]))
    assert download.status_code == 200


def test_the_publication_api_answers_202_when_large(
    client: Client, structure_a: Structure, alice: User
) -> None:
    from caducee.api.tokens import issue_token

    headers: dict[str, Any] = {
        "HTTP_AUTHORIZATION": f"Bearer {issue_token(cli_context(), alice, 't')}"
    }
    listed_account(structure_a)
    url = f"/api/v1/structures/{structure_a.pk}/publication?format=pipe"
    with override_settings(EXPORT_BACKGROUND_ROWS=0):
        response = client.get(url, **headers)
    assert response.status_code == 202 and response.json()["kind"] == "publication"
    small = client.get(url, **headers)
    assert small.status_code == 200 and small.content.decode().startswith("Type de BAL")
    fhir = client.get(f"/api/v1/structures/{structure_a.pk}/publication", **headers)
    assert fhir.json()["resourceType"] == "Bundle"


def test_an_accounts_export_matches_too(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    from caducee.loadusers.exporting import export_csv

    listed_account(structure_a)
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    with default_storage.open(export.file_name, "rb") as data:
        stored = data.read()
    assert stored == b"".join(export_csv(Context(user=alice), structure_a))
