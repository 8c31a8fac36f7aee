"""start_import (the console's upload), the one upload-size rule, URL ownership, query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django_tasks_db.models import DBTaskResult

from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.reading import (
    EMPTY_FILE,
    FileRefused,
    FileTooLarge,
    check_upload_size,
    open_table,
)
from caducee.loadusers.urls import urlpatterns
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import api_headers, client_for, ctx_for
from tests.loadusers.builders import csv_bytes, line

Capture = Callable[..., Any]
ONE_MB = 1024 * 1024
TOO_LARGE = "Le fichier fait 1,0 Mo : la limite est de 1 Mo. Découpez-le en plusieurs fichiers."


def upload(data: bytes, name: str = "comptes.csv") -> ContentFile[bytes]:
    return ContentFile(data, name=name)


def test_start_import_stores_the_file_audits_and_enqueues(
    django_capture_on_commit_callbacks: Capture, alice: User, structure_a: Structure
) -> None:
    ctx = ctx_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_import(
            ctx, structure_a, upload(csv_bytes([line("MED")])), notify=True, visible=False
        )
    assert job.status == JobStatus.VALIDATING and job.notify and not job.visible
    assert default_storage.exists(job.stored_name)
    event = AuditEvent.objects.get(action="loadusers.upload")
    assert (event.actor_id, event.structure_id) == (alice.pk, structure_a.pk)
    assert event.detail["job"] == job.pk and event.detail["file"] == "comptes.csv"
    assert DBTaskResult.objects.get().args_kwargs["kwargs"]["job_id"] == job.pk


def test_start_import_is_for_the_structure_admins(bob: User, structure_a: Structure) -> None:
    with pytest.raises(NotFound):
        jobs.start_import(
            ctx_for(bob), structure_a, upload(csv_bytes([line("MED")])), notify=False, visible=False
        )
    assert not ImportJob.objects.exists()
    assert not AuditEvent.objects.filter(action="loadusers.upload").exists()


def test_the_server_may_start_an_import(structure_a: Structure) -> None:
    ctx = Context(user=None, channel="cli")
    job = jobs.start_import(
        ctx, structure_a, upload(csv_bytes([line("MED")])), notify=False, visible=False
    )
    assert job.structure == structure_a


@override_settings(CADUCEE_UPLOAD_MAX_MB=1)
@pytest.mark.parametrize(
    ("data", "refusal", "message"),
    [
        (None, FileRefused, jobs.NO_UPLOAD),
        (b"", FileRefused, EMPTY_FILE),
        (b"x" * (ONE_MB + 1), FileTooLarge, TOO_LARGE),
    ],
)
def test_start_import_refuses_unusable_uploads(
    alice: User,
    structure_a: Structure,
    data: bytes | None,
    refusal: type[FileRefused],
    message: str,
) -> None:
    file = None if data is None else upload(data)
    with pytest.raises(refusal) as caught:
        jobs.start_import(ctx_for(alice), structure_a, file, notify=False, visible=False)
    assert caught.value.message == message
    assert not ImportJob.objects.exists()


@override_settings(CADUCEE_UPLOAD_MAX_MB=1)
def test_one_size_rule_and_one_wording_everywhere(
    client: Client, alice: User, structure_a: Structure
) -> None:
    check_upload_size(ONE_MB)  # the limit itself is accepted
    check_upload_size(None)  # size not known yet: checked once read
    with pytest.raises(FileTooLarge) as caught:
        check_upload_size(ONE_MB + 1)
    assert caught.value.message == TOO_LARGE
    big = b"x" * (ONE_MB + 1)
    with pytest.raises(FileTooLarge) as caught:
        open_table(big, "big.csv")
    assert caught.value.message == TOO_LARGE
    page = client_for(alice).post(
        reverse("loadusers:import", args=[structure_a.pk]),
        {"fichier": SimpleUploadedFile("big.csv", big)},
    )
    assert page.status_code == 400 and TOO_LARGE in page.content.decode()
    api = client.post(
        f"/api/v1/structures/{structure_a.pk}/loadusers/import",
        {"file": SimpleUploadedFile("big.csv", big)},
        **api_headers(alice),
    )
    assert api.status_code == 413 and api.json() == {"detail": TOO_LARGE}


def test_every_loadusers_url_is_hidden_from_another_structure(
    django_capture_on_commit_callbacks: Capture,
    alice: User,
    bob: User,
    structure_a: Structure,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_import(
            ctx_for(alice),
            structure_a,
            upload(csv_bytes([line("MED")])),
            notify=False,
            visible=False,
        )
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.PREVIEWED)
    values: dict[str, Any] = {"structure_id": structure_a.pk, "job_id": job.pk, "fmt": "csv"}
    stranger = client_for(bob)
    checked = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        names = set(pattern.pattern.converters)
        if "structure_id" not in names:
            assert pattern.name == "template"  # no object in it: for any structure admin
            continue
        url = reverse(f"loadusers:{pattern.name}", kwargs={k: values[k] for k in names})
        response = stranger.get(url)
        if response.status_code == 405:
            response = stranger.post(url)
        assert response.status_code == 404, (url, response.status_code)
        checked.append(pattern.name)
    assert len(checked) == len(urlpatterns) - 1
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED


def _import_page_queries(client: Client, structure: Structure) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("loadusers:import", args=[structure.pk])).status_code == 200
    return len(queries)


def test_the_job_list_costs_the_same_queries_for_few_or_many_jobs(
    alice: User, structure_a: Structure
) -> None:
    def add_jobs(count: int) -> None:
        for index in range(count):
            ImportJob.objects.create(
                structure=structure_a,
                actor=alice,
                actor_label=alice.email,
                file_name=f"f{index}.csv",
                status=JobStatus.DONE,
            )

    client = client_for(alice)
    add_jobs(1)
    _import_page_queries(client, structure_a)  # the first request saves the new session
    few = _import_page_queries(client, structure_a)
    add_jobs(15)
    assert _import_page_queries(client, structure_a) == few
