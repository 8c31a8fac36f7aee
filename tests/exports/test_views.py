"""« Mes exports »: a large export from the console becomes a task, then a download link."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.exports.models import ExportFile
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.exports.helpers import Capture, built_export, fill
from tests.helpers import client_for
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db


@override_settings(EXPORT_BACKGROUND_ROWS=2)
def test_a_large_export_goes_to_my_exports_then_downloads(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    fill(structure_a, 3)
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("loadusers:export", args=[structure_a.pk, "csv"]))
    assert response.status_code == 302 and response["Location"] == reverse("exports:mine")
    page = client.get(reverse("exports:mine")).content.decode()
    assert "préparé en arrière-plan" in page and "En file d&#x27;attente" in page
    assert 'hx-trigger="every 2s"' in page and "Télécharger" not in page
    run_ready_tasks()
    partial = client.get(reverse("exports:mine"), HTTP_HX_REQUEST="true").content.decode()
    export = ExportFile.objects.get()
    link = reverse("exports:download", args=[export.pk])
    assert "<html" not in partial and "Prêt" in partial and link in partial
    assert "every 2s" not in partial and "3 ligne(s)" in partial
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert f"utilisateurs-{structure_a.pk}.csv" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body.decode("utf-8-sig").startswith("Adresse mail")
    assert AuditEvent.objects.filter(action="export.download", actor=alice).count() == 1


@override_settings(EXPORT_BACKGROUND_ROWS=2)
def test_a_small_export_stays_immediate(structure_a: Structure, alice: User) -> None:
    fill(structure_a, 2)
    response = client_for(alice).get(reverse("loadusers:export", args=[structure_a.pk, "csv"]))
    assert response.status_code == 200 and not ExportFile.objects.exists()


def test_it_validates_ownership(
    structure_a: Structure,
    alice: User,
    bob: User,
    charlie: User,
    operator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    colleague = factories.make_admin(structure_a, "colleague@ch-a.fr")
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    link = reverse("exports:download", args=[export.pk])
    for other in (colleague, bob, charlie):
        client = client_for(other)
        assert client.get(link).status_code == 404
        assert link not in client.get(reverse("exports:mine")).content.decode()
    assert client_for(operator).get(link).status_code == 200
    assert Client().get(link).status_code == 302  # to the login page


def test_a_pending_export_link_says_it_is_not_ready(structure_a: Structure, alice: User) -> None:
    from caducee.core.context import Context
    from caducee.exports.operations import request_export

    export = request_export(Context(user=alice), structure_a, "accounts", "csv")
    client = client_for(alice)
    response = client.get(reverse("exports:download", args=[export.pk]), follow=True)
    assert "pas encore prêt" in response.content.decode()


def test_the_ownership_test_probes_every_exports_url() -> None:
    """`test_it_validates_ownership` covers each URL of the app: a new one must join it."""
    from caducee.exports.urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == {"mine", "download"}
