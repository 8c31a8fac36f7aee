"""Actions on long exports: ask (audited, queued), build (the task), download (audited).

An export of more than CADUCEE_EXPORT_BACKGROUND_ROWS rows is not built inside the web
request: `request_export` records it and enqueues `caducee.exports.tasks.build_export`
after commit. The task writes the file through Django's storage API (`default_storage`,
under `exports/<random>/`), so any web process of a several-machine layout can serve it
when the storage is shared. The file is kept CADUCEE_EXPORT_RETENTION_DAYS days, then the
scheduler job `exports_purge` (purge.py) deletes it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context, context_args
from caducee.core.errors import Invalid
from caducee.exports.kinds import ExportKind, kind_of
from caducee.exports.models import ExportFile, ExportState
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

STORAGE_DIR = "exports"
# A build left `running` this long (its worker died) may be claimed again.
STALE_BUILD = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


def retention() -> timedelta:
    return timedelta(days=max(1, int(settings.EXPORT_RETENTION_DAYS)))


def in_background(kind: ExportKind, structure: Structure) -> bool:
    """Above the threshold, the export is a task instead of an immediate download."""
    return kind.rows(structure) > int(settings.EXPORT_BACKGROUND_ROWS)


def request_export(ctx: Context, structure: Structure, kind_name: str, fmt: str) -> ExportFile:
    """An admin of the structure or the server; audits `export.request`.

    Records the request, naming who asked, and builds the file in the background."""
    from caducee.exports.tasks import build_export
    from caducee.tasks.dispatch import enqueue_on_commit

    kind = kind_of(kind_name)
    require_admin(ctx, structure)
    if fmt not in kind.formats:
        raise Invalid(f"Format « {fmt} » inconnu : choisissez {' ou '.join(kind.formats)}.")
    now = _now()
    with transaction.atomic():
        export = ExportFile.objects.create(
            structure=structure,
            requested_by=ctx.user,
            requested_label=ctx.actor_label[:254],
            kind=kind.name,
            format=fmt,
            download_name=kind.file_name(structure, fmt),
            created_at=now,
            expires_at=now + retention(),
        )
        record_event(
            ctx,
            AuditAction.EXPORT_REQUEST,
            structure=structure,
            target=structure,
            detail={"export": export.pk, "kind": kind.name, "format": fmt},
        )
        enqueue_on_commit(build_export, export.pk, context_args(ctx))
    return export


def claim(export_id: int) -> ExportFile | None:
    """Mark the export running if it waits; None when another task has it or it is done
    (a duplicated or re-delivered task then does nothing)."""
    now = _now()
    waiting = Q(state=ExportState.QUEUED) | Q(
        state=ExportState.RUNNING, started_at__lt=now - STALE_BUILD
    )
    if not ExportFile.objects.filter(waiting, pk=export_id).update(
        state=ExportState.RUNNING, started_at=now
    ):
        return None
    return ExportFile.objects.select_related("structure").get(pk=export_id)


def build(ctx: Context, export: ExportFile) -> None:
    """Write the file into storage, as the person who asked (whose rights are checked
    again: someone who lost them meanwhile gets nothing)."""
    kind = kind_of(export.kind)
    require_admin(ctx, export.structure)
    handle, path = tempfile.mkstemp(suffix=f".{export.format}")
    os.close(handle)
    try:
        kind.write(export.structure, export.format, path)
        size = os.path.getsize(path)
        name = f"{STORAGE_DIR}/{secrets.token_urlsafe(18)}/{export.download_name}"
        with open(path, "rb") as data:
            stored = default_storage.save(name, File(data))
    finally:
        os.unlink(path)
    now = _now()
    _update(
        export,
        state=ExportState.READY,
        file_name=stored,
        size=size,
        rows=kind.rows(export.structure),
        finished_at=now,
        expires_at=now + retention(),
        error="",
    )


def fail(export: ExportFile, message: str) -> None:
    _update(export, state=ExportState.FAILED, error=message, finished_at=_now())


def open_file(ctx: Context, export: ExportFile) -> File:  # type: ignore[type-arg]
    """The person who asked (exports/access.py checked it); audits `export.download`.

    The stored file."""
    if not export.ready or not export.file_name:
        raise Invalid("Cet export n'est pas encore prêt.")
    try:
        data = default_storage.open(export.file_name, "rb")
    except OSError:
        raise Invalid(
            "Le fichier de cet export n'est plus disponible : demandez-le à nouveau."
        ) from None
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.EXPORT_DOWNLOAD,
            structure=export.structure,
            target=export.structure,
            detail={"export": export.pk, "kind": export.kind, "format": export.format},
        )
    return data


def purge_expired(now: datetime | None = None) -> int:
    """Delete the exports past their expiry date, file and row; return how many."""
    moment = now or _now()
    purged = 0
    for export in ExportFile.objects.filter(expires_at__lte=moment).order_by("pk"):
        if export.file_name:
            default_storage.delete(export.file_name)
        export.delete()
        purged += 1
    return purged


def _update(export: ExportFile, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(export, name, value)
    ExportFile.objects.filter(pk=export.pk).update(**fields)
