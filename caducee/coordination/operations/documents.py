"""Documents of a record: stored in the platform's file storage, read with an audit trace."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import Record, RecordDocument
from caducee.coordination.operations._common import external_detail, fail, who
from caducee.coordination.permissions import DOCUMENT_ADD, RECORD_READ
from caducee.core.context import Context
from caducee.core.errors import NotFound

log = logging.getLogger("caducee.coordination.operations")
_SAFE_EXT = re.compile(r"^[a-z0-9]{1,8}$")


def max_upload_bytes() -> int:
    return int(settings.COORDINATION_MAX_UPLOAD_MB) * 1024 * 1024


DOCUMENTS_FOLDER = "coordination"


def document_storage_name(document: RecordDocument) -> str:
    """The document's name in the platform's file storage (Django's `default` storage)."""
    return f"{DOCUMENTS_FOLDER}/{document.stored_name}"


def _safe_original_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"/\\|?*')
    return cleaned[:200] or "document"


def _spool_upload(stream: IO[bytes]) -> tuple[IO[bytes], int, str]:
    """Copy the upload aside (memory, then a temporary file), refusing it above the size
    limit or empty, so that nothing partial ever reaches the storage; return the copy,
    its size and its SHA-256."""
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - returned open
    try:
        while chunk := stream.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise fail(
                    f"Le fichier dépasse la taille maximale de "
                    f"{settings.COORDINATION_MAX_UPLOAD_MB} Mo.",
                    "file",
                    "too_large",
                )
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise fail("Le fichier est vide : choisissez un autre fichier.", "file", "empty")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size, digest.hexdigest()


def attach_document(
    ctx: Context,
    record: Record,
    title: str,
    original_name: str,
    stream: IO[bytes],
    content_type: str = "application/octet-stream",
) -> RecordDocument:
    """Holders of `document.add` on the record; audit `coordination.document_add`.

    Store a file in the platform's storage under a generated name, then its row.

    The storage is Django's `default` one (CADUCEE_HOME/files, or an object store, see
    docs/STORAGE.md); the file is complete there before the row is written, and removed
    again if the row cannot be.
    """
    access.require_record_permission(ctx, record, DOCUMENT_ADD)
    name = _safe_original_name(original_name)
    label = " ".join(title.split()) or name
    if len(label) > 200:
        raise fail("Le titre dépasse 200 caractères.", "title", "length")
    ext = Path(name).suffix.lower().lstrip(".")
    suffix = f".{ext}" if _SAFE_EXT.match(ext) else ""
    wanted = f"{DOCUMENTS_FOLDER}/{record.structure_id}/{record.pk}/{uuid.uuid4().hex}{suffix}"
    spool, size, sha256 = _spool_upload(stream)
    try:
        with spool:
            saved = default_storage.save(wanted, File(spool, name=wanted))
    except Exception:  # disk full, object store unreachable…: the operator's problem
        log.exception("document storage failed for record %s", record.pk)
        raise fail(
            "Le document n'a pas pu être enregistré : le stockage des fichiers ne répond pas. "
            "Réessayez dans quelques minutes.",
            "file",
            "storage",
        ) from None
    try:
        with transaction.atomic():
            document = RecordDocument.objects.create(
                record=record,
                title=label,
                original_name=name,
                stored_name=saved.removeprefix(f"{DOCUMENTS_FOLDER}/"),
                content_type=(content_type or "application/octet-stream")[:100],
                size=size,
                sha256=sha256,
                uploaded_by=ctx.user,
                uploaded_by_label=who(ctx),
            )
            record_event(
                ctx,
                AuditAction.COORDINATION_DOCUMENT_ADD,
                structure=record.structure,
                target=record,
                detail={
                    "document": document.pk,
                    "name": name,
                    "size": size,
                    "sha256": sha256,
                    **external_detail(ctx),
                },
            )
    except BaseException:
        default_storage.delete(saved)
        raise
    return document


def open_document(ctx: Context, document: RecordDocument) -> File[bytes]:
    """Anyone who may read the record; audit `coordination.document_read`.

    The document's file, opened for reading (the caller closes it); the read is
    audited."""
    access.require_record_permission(ctx, document.record, RECORD_READ)
    try:
        handle = default_storage.open(document_storage_name(document), "rb")
    except FileNotFoundError:
        raise NotFound("Le fichier de ce document est introuvable sur le serveur.") from None
    try:
        with transaction.atomic():
            record_event(
                ctx,
                AuditAction.COORDINATION_DOCUMENT_READ,
                structure=document.record.structure,
                target=document.record,
                detail={**external_detail(ctx), "document": document.pk},
            )
    except BaseException:
        handle.close()
        raise
    return handle
