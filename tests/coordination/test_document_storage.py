"""Record documents through Django's storage API, on both storages (docs/STORAGE.md):
files under CADUCEE_HOME/files and an S3-compatible server (moto on loopback)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.test import Client, override_settings
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import Record, RecordDocument
from caducee.core.context import cli_context
from caducee.core.errors import Forbidden, Invalid
from caducee.people.models import User
from caducee.storage.config import default_storage_settings
from tests.helpers import client_for, ctx_for
from tests.storage.s3 import BUCKET, KEY, SECRET, S3Server, free_port

CONTENT = "Compte rendu de sortie — Mme Martin".encode()


def stored_files(folder: str = operations.DOCUMENTS_FOLDER) -> list[str]:
    """Every file the storage holds under `folder`, whatever the storage."""
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:  # no such folder on the filesystem (S3 has no folders)
        return []
    found = [f"{folder}/{name}" for name in files]
    for directory in directories:
        found += stored_files(f"{folder}/{directory}")
    return found


def attach(record: Record, data: bytes = CONTENT, name: str = "cr.txt") -> RecordDocument:
    return operations.attach_document(cli_context(), record, "CR", name, io.BytesIO(data))


def download(client: Client, document: RecordDocument) -> tuple[int, bytes]:
    response = client.get(reverse("coordination:document", args=[document.record_id, document.pk]))
    if response.status_code != 200:
        return response.status_code, b""
    assert isinstance(response, FileResponse)
    return 200, b"".join(response.streaming_content)


def test_upload_then_download_through_the_views(
    document_storage: str, camille: User, record_a: Record
) -> None:
    client = client_for(camille)
    upload = SimpleUploadedFile("compte-rendu.txt", CONTENT, "text/plain")
    page = reverse("coordination:documents", args=[record_a.pk])
    assert client.post(page, {"title": "CR", "file": upload}).status_code == 302
    document = record_a.documents.get()
    assert document.sha256 == hashlib.sha256(CONTENT).hexdigest() and document.size == len(CONTENT)
    name = operations.document_storage_name(document)
    assert stored_files() == [name]
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == CONTENT
    status, body = download(client, document)
    assert (status, body) == (200, CONTENT)
    assert AuditEvent.objects.filter(action="coordination.document_read").count() == 1
    local = Path(settings.MEDIA_ROOT) / name
    assert local.is_file() == (document_storage == "files")


def test_permissions_are_checked_on_each_download(
    document_storage: str,
    camille: User,
    lucas: User,
    bob: User,
    record_a: Record,
    record_b: Record,
) -> None:
    document = attach(record_a)
    assert download(client_for(lucas), document) == (200, CONTENT)  # a reader reads
    with pytest.raises(Forbidden):  # but does not add
        operations.attach_document(ctx_for(lucas), record_a, "", "a.txt", io.BytesIO(b"a"))
    assert download(client_for(bob), document)[0] == 404  # another structure
    crossed = reverse("coordination:document", args=[record_b.pk, document.pk])
    assert client_for(camille).get(crossed).status_code == 404  # through another record
    assert stored_files() == [operations.document_storage_name(document)]


@override_settings(COORDINATION_MAX_UPLOAD_MB=1)
def test_refused_files_never_reach_the_storage(
    document_storage: str, camille: User, record_a: Record
) -> None:
    ctx = ctx_for(camille)
    big = io.BytesIO(b"x" * (1024 * 1024 + 1))
    with pytest.raises(Invalid) as exc:
        operations.attach_document(ctx, record_a, "Gros", "gros.bin", big)
    assert "1 Mo" in exc.value.message
    with pytest.raises(Invalid):
        operations.attach_document(ctx, record_a, "", "vide.txt", io.BytesIO(b""))
    assert record_a.documents.count() == 0 and stored_files() == []


def test_a_file_missing_from_the_storage_is_a_404(
    document_storage: str, camille: User, record_a: Record
) -> None:
    document = attach(record_a)
    default_storage.delete(operations.document_storage_name(document))
    assert stored_files() == []
    response = client_for(camille).get(
        reverse("coordination:document", args=[record_a.pk, document.pk])
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="coordination.document_read").exists()


def test_same_names_never_overwrite(document_storage: str, record_a: Record) -> None:
    first, second = attach(record_a, b"premier"), attach(record_a, b"second")
    assert first.stored_name != second.stored_name
    with default_storage.open(operations.document_storage_name(first), "rb") as handle:
        assert handle.read() == b"premier"


def test_documents_of_the_previous_version_stay_readable(camille: User, record_a: Record) -> None:
    """Before the storage API, files were written at MEDIA_ROOT/coordination/<stored_name>:
    the default storage reads them under the same names."""
    stored = f"{record_a.structure_id}/{record_a.pk}/0123456789abcdef0123456789abcdef.pdf"
    legacy = Path(settings.MEDIA_ROOT) / "coordination" / stored
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"%PDF ancien")
    document = RecordDocument.objects.create(
        record=record_a,
        title="Ancien",
        original_name="ancien.pdf",
        stored_name=stored,
        size=11,
        sha256=hashlib.sha256(b"%PDF ancien").hexdigest(),
    )
    assert download(client_for(camille), document) == (200, b"%PDF ancien")


def test_objects_are_private_on_s3(s3_server: S3Server, s3_storage: str, record_a: Record) -> None:
    """No public ACL on the stored object, and any URL the storage could give is signed
    and expiring (the platform gives none: downloads go through its views)."""
    document = attach(record_a)
    key = f"{s3_storage}/{operations.document_storage_name(document)}"
    assert s3_server.keys(s3_storage) == {key: CONTENT}
    acl = s3_server.client().get_object_acl(Bucket=BUCKET, Key=key)
    public = {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI") in public]
    url = default_storage.url(operations.document_storage_name(document))
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=" in url


def test_an_unreachable_storage_is_a_french_message(
    settings: Any, monkeypatch: pytest.MonkeyPatch, camille: User, record_a: Record
) -> None:
    """An object store that does not answer (nothing listens on the port): the upload is
    refused with a message, no row is written."""
    monkeypatch.setenv("CADUCEE_STORAGE_KEY", KEY)
    monkeypatch.setenv("CADUCEE_STORAGE_SECRET", SECRET)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    url = f"s3://{BUCKET}?endpoint=http://127.0.0.1:{free_port()}&region=us-east-1"
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_settings(url)}
    client = client_for(camille)
    upload = SimpleUploadedFile("cr.txt", CONTENT, "text/plain")
    page = client.post(
        reverse("coordination:documents", args=[record_a.pk]), {"title": "CR", "file": upload}
    )
    assert page.status_code == 422
    assert "le stockage des fichiers ne répond pas" in page.content.decode()
    assert record_a.documents.count() == 0
