"""REST API of the loaduser: template, import (multipart upload) and export."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from caducee.api.auth import api_context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.exports.api import ExportOut, export_out
from caducee.exports.kinds import ACCOUNTS
from caducee.exports.operations import in_background, request_export
from caducee.loadusers.exporting import export_csv, export_xlsx
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.reading import FileRefused, max_bytes
from caducee.loadusers.template import CSV_CONTENT_TYPE, FORMATS, XLSX_CONTENT_TYPE, template_bytes
from caducee.structures.access import access_structure, structures_for_admin

router = Router(tags=["loaduser"])


class ProblemOut(Schema):
    line: int
    column: str
    email: str
    severity: str
    code: str
    message: str


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[ProblemOut]


class RefusedOut(Schema):
    detail: str
    problems: list[dict[str, str]]


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound("Format inconnu : csv ou xlsx.")
    return fmt


@router.get(
    "/loadusers/template.{fmt}",
    summary="Modèle loaduser vide (csv ou xlsx)",
    response={200: None},
)
def template(request: HttpRequest, fmt: str) -> HttpResponse:
    _fmt(fmt)
    if not structures_for_admin(request.auth).exists():  # type: ignore[attr-defined]
        raise NotFound()
    response = HttpResponse(
        template_bytes(fmt), content_type=CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="modele-loaduser.{fmt}"'
    return response


@router.post(
    "/structures/{structure_id}/loadusers/import",
    response={200: ImportOut, 422: RefusedOut},
    summary="Importer un fichier loaduser (CSV, XLS, XLSX)",
    description="Une ligne = une boîte aux lettres : création si l'adresse mail est nouvelle, "
    "modification sinon. Avec `dry_run`, tout est vérifié et rien n'est enregistré. Réponse : "
    "les mêmes compteurs et le même compte-rendu que `caducee loadusers import --json`. "
    "Un fichier inutilisable (format, colonnes obligatoires absentes…) est refusé (422) et "
    "rien n'est modifié.",
)
def import_file(
    request: HttpRequest,
    structure_id: int,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    notify: Form[bool] = False,
    visible: Form[bool] = False,
) -> Any:
    structure = access_structure(request.auth, structure_id)  # type: ignore[attr-defined]
    if file.size is not None and file.size > max_bytes():
        raise Invalid(
            f"Le fichier dépasse la limite de {max_bytes() // 1024 // 1024} Mo.",
            [Problem("file", "too_large", "Découpez le fichier en plusieurs fichiers.")],
        )
    try:
        result = import_loadusers(
            api_context(request),
            structure,
            file.read(),
            notify=notify,
            visible=visible,
            dry_run=dry_run,
            file_name=file.name or "fichier",
        )
    except FileRefused as exc:
        raise Invalid(
            f"Fichier refusé : {exc.message}", [Problem("file", "refused", exc.message)]
        ) from exc
    return result.as_json()


@router.get(
    "/structures/{structure_id}/loadusers/export.{fmt}",
    summary="Exporter les comptes d'une structure au format du modèle (csv ou xlsx)",
    response={200: None, 202: ExportOut},
)
def export(request: HttpRequest, structure_id: int, fmt: str) -> Any:
    _fmt(fmt)
    structure = access_structure(request.auth, structure_id)  # type: ignore[attr-defined]
    ctx = api_context(request)
    if in_background(ACCOUNTS, structure):  # a long export: follow it at /exports/{id}
        return Status(202, export_out(request_export(ctx, structure, ACCOUNTS.name, fmt)))
    name = f"utilisateurs-{structure.pk}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(export_csv(ctx, structure), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        export_xlsx(ctx, structure),
        as_attachment=True,
        filename=name,
        content_type=XLSX_CONTENT_TYPE,
    )
