"""Exports API: a large export answers 202, then its state and its file."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from caducee.people.models import User
from caducee.structures.models import Structure
from tests.exports.helpers import Capture, fill
from tests.helpers import api_headers
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db


@override_settings(EXPORT_BACKGROUND_ROWS=2)
def test_a_large_export_is_followed_then_downloaded(
    client: Client,
    structure_a: Structure,
    alice: User,
    bob: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    fill(structure_a, 3)
    headers = api_headers(alice)
    url = f"/api/v1/structures/{structure_a.pk}/loadusers/export.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, **headers)
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "queued" and body["download_url"] is None
    run_ready_tasks()
    state = client.get(f"/api/v1/exports/{body['id']}", **headers).json()
    assert state["state"] == "ready" and state["rows"] == 3
    assert [e["id"] for e in client.get("/api/v1/exports", **headers).json()] == [body["id"]]
    data = client.get(state["download_url"], **headers)
    assert data.status_code == 200
    assert b"".join(data.streaming_content).startswith(b"PK")  # type: ignore[attr-defined]
    other = api_headers(bob)
    assert client.get(f"/api/v1/exports/{body['id']}", **other).status_code == 404
    assert client.get(state["download_url"], **other).status_code == 404
    assert client.get("/api/v1/exports", **other).json() == []


def test_openapi_documents_the_exports(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/exports/{export_id}/file" in paths
    assert "/api/v1/structures/{structure_id}/directory-push" in paths
