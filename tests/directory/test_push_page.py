"""« Publication nationale » in the console and the push endpoints of the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from caducee.core.context import cli_context
from caducee.directory.models import PushRequest, PushState
from caducee.directory.operations import assign_mssante_address
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.directory.fhir_sink import running_sink
from tests.directory.helpers import listed_account
from tests.helpers import api_headers, client_for
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def test_the_page_queues_the_push_then_shows_its_result(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    assign_mssante_address(cli_context(), listed_account(structure_a), None)
    client = client_for(alice)
    url = reverse("directory:push", args=[structure_a.pk])
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        page = client.get(url).content.decode()
        assert "1 ajout(s), 0 mise(s) à jour, 0 retrait(s)" in page
        assert "Publier maintenant" in page and "enregistrée (console" in page
        assert "tâche planifiée) :\naucune." in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, follow=True)
        text = response.content.decode()
        assert "Publication mise en file d&#x27;attente" in text
        assert "En file d&#x27;attente" in text and 'hx-trigger="every 2s"' in text
        run_ready_tasks()
        partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Terminée" in partial
    assert "Envoyée (HTTP 200) : 1 ajout(s)" in partial and "every 2s" not in partial
    assert "alice@ch-a.fr" in partial
    assert "tâche planifiée) :\naucune." not in client.get(url).content.decode()
    assert len(sink.accepted) == 1


def test_the_page_says_when_publication_is_not_configured(
    structure_a: Structure, alice: User
) -> None:
    url = reverse("directory:push", args=[structure_a.pk])
    with override_settings(DIRECTORY_PUSH_URL=""):
        assert "n'est pas configurée" in client_for(alice).get(url).content.decode().replace(
            "&#x27;", "'"
        )
        response = client_for(alice).post(url)
    assert response.status_code == 422
    assert "CADUCEE_DIRECTORY_PUSH_URL" in response.content.decode()
    assert not PushRequest.objects.exists()


def test_the_page_validates_ownership(structure_a: Structure, bob: User, charlie: User) -> None:
    url = reverse("directory:push", args=[structure_a.pk])
    with override_settings(DIRECTORY_PUSH_URL="http://127.0.0.1:9/"):
        for outsider in (bob, charlie):
            assert client_for(outsider).get(url).status_code == 404
            assert client_for(outsider).post(url).status_code == 404
    assert not PushRequest.objects.exists()


def test_the_api_answers_202_then_the_state(
    client: Client,
    structure_a: Structure,
    alice: User,
    bob: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assign_mssante_address(cli_context(), listed_account(structure_a), None)
    url = f"/api/v1/structures/{structure_a.pk}/directory-push"
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, **api_headers(alice))
        assert response.status_code == 202
        body = response.json()
        assert body["state"] == "queued" and body["requested_by"] == "alice@ch-a.fr"
        run_ready_tasks()
        listed = client.get(url, **api_headers(alice)).json()
        assert client.post(url, **api_headers(bob)).status_code == 404
        assert client.get(url, **api_headers(bob)).status_code == 404
    assert listed[0]["id"] == body["id"] and listed[0]["state"] == PushState.DONE
    assert listed[0]["inserted"] == 1 and listed[0]["http_status"] == 200
    with override_settings(DIRECTORY_PUSH_URL=""):
        refused = client.post(url, **api_headers(alice))
    assert refused.status_code == 422 and "CADUCEE_DIRECTORY_PUSH_URL" in refused.json()["detail"]
