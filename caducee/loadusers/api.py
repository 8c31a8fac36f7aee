"""REST API of the loaduser: template, import (multipart upload) and export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.errors import Invalid, Problem
from caducee.core.web import api_user
from caducee.exports.api import ExportOut, export_out
from caducee.exports.models import ExportFile
from caducee.loadusers.downloads import export_response, template_response
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.reading import FileRefused, FileTooLarge, check_upload_size
from caducee.structures.access import access_structure

router = Router(tags=["loaduser"])


class LineProblemOut(Schema):
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
    problems: list[LineProblemOut]


@router.get(
    "/loadusers/template.{fmt}",
    summary="Modèle loaduser vide (csv ou xlsx)",
    response=responses({200: None}, 404),
)
def template(request: HttpRequest, fmt: str) -> HttpResponse:
    return template_response(api_user(request), fmt)


@router.post(
    "/structures/{structure_id}/loadusers/import",
    response=responses({200: ImportOut}, 404, 413, 422),
    summary="Importer un fichier loaduser (CSV, XLS, XLSX)",
    description="Une ligne = une boîte aux lettres : création si l'adresse mail est nouvelle, "
    "modification sinon. Avec `dry_run`, tout est vérifié et rien n'est enregistré. Réponse : "
    "les mêmes compteurs et le même compte-rendu que `caducee loadusers import --json`. "
    "Un fichier trop gros est refusé (413), un fichier inutilisable (format, colonnes "
    "obligatoires absentes…) aussi (422) ; rien n'est modifié alors.",
)
def import_file(
    request: HttpRequest,
    structure_id: int,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    notify: Form[bool] = False,
    visible: Form[bool] = False,
) -> Any:
    structure = access_structure(api_user(request), structure_id)
    try:
        check_upload_size(file.size)
        result = import_loadusers(
            api_context(request),
            structure,
            file.read(),
            notify=notify,
            visible=visible,
            dry_run=dry_run,
            file_name=file.name or "fichier",
        )
    except FileTooLarge as exc:
        return Status(413, {"detail": exc.message})
    except FileRefused as exc:
        raise Invalid(
            f"Fichier refusé : {exc.message}", [Problem("file", "refused", exc.message)]
        ) from exc
    return result.as_json()


@router.get(
    "/structures/{structure_id}/loadusers/export.{fmt}",
    summary="Exporter les comptes d'une structure au format du modèle (csv ou xlsx)",
    response=responses({200: None, 202: ExportOut}, 404),
)
def export(request: HttpRequest, structure_id: int, fmt: str) -> Any:
    structure = access_structure(api_user(request), structure_id)
    response = export_response(api_context(request), structure, fmt)
    if isinstance(response, ExportFile):  # a long export: follow it at /exports/{id}
        return Status(202, export_out(response))
    return response
