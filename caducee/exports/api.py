"""Exports API: the person's own long exports, their state, and the file once ready."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.web import api_user, attachment
from caducee.exports.access import access_export, recent_exports
from caducee.exports.kinds import CONTENT_TYPES
from caducee.exports.models import ExportFile
from caducee.exports.operations import open_file

router = Router(tags=["exports"])

# A ready export is a file of its format (CSV, XLSX, FHIR JSON or pipe text).
FILE_CONTENT: dict[str, Any] = {
    "responses": {
        200: {
            "description": "Le fichier de l'export",
            "content": {
                content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for content_type in (*CONTENT_TYPES.values(), "application/octet-stream")
            },
        }
    }
}


class ExportOut(Schema):
    id: int
    structure_id: int
    kind: str
    format: str
    state: str
    state_label: str
    rows: int
    size: int
    file_name: str
    error: str
    created_at: str
    expires_at: str
    download_url: str | None


def export_out(export: ExportFile) -> dict[str, Any]:
    return {
        "id": export.pk,
        "structure_id": export.structure_id,
        "kind": export.kind,
        "format": export.format,
        "state": export.state,
        "state_label": export.get_state_display(),
        "rows": export.rows,
        "size": export.size,
        "file_name": export.download_name,
        "error": export.error,
        "created_at": export.created_at.isoformat(),
        "expires_at": export.expires_at.isoformat(),
        "download_url": f"/api/v1/exports/{export.pk}/file" if export.ready else None,
    }


@router.get(
    "/exports", response=responses({200: list[ExportOut]}), summary="Mes exports en arrière-plan"
)
def list_exports(request: HttpRequest) -> Any:
    return [export_out(e) for e in recent_exports(api_user(request))]


@router.get(
    "/exports/{export_id}", response=responses({200: ExportOut}, 404), summary="État d'un export"
)
def get_export(request: HttpRequest, export_id: int) -> Any:
    return export_out(access_export(api_user(request), export_id))


@router.get(
    "/exports/{export_id}/file",
    summary="Télécharger un export prêt (la personne qui l'a demandé, ou l'opérateur)",
    response=responses({200: None}, 404, 422),
    openapi_extra=FILE_CONTENT,
)
def get_file(request: HttpRequest, export_id: int) -> Any:
    export = access_export(api_user(request), export_id)
    return attachment(
        open_file(api_context(request), export),
        export.download_name,
        CONTENT_TYPES.get(export.format, "application/octet-stream"),
    )
