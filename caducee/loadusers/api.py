"""REST API of the loaduser: template, import (multipart upload), export, and the import jobs
started from the console (list, detail, confirmation of a preview, compte-rendu)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.web import api_user
from caducee.exports.api import ExportOut, export_out
from caducee.exports.models import ExportFile
from caducee.loadusers import jobs
from caducee.loadusers.downloads import export_response, report_response, template_response
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.models import ImportJob
from caducee.loadusers.reading import FileRefused, FileTooLarge, check_upload_size
from caducee.loadusers.report import group_problems
from caducee.structures.access import access_structure

router = Router(tags=["loaduser"])


class LineProblemOut(Schema):
    line: int
    column: str
    email: str
    severity: str
    code: str
    message: str
    value: str = Field("", description="la cellule en cause, telle qu'écrite dans le fichier")


class ProblemGroupOut(Schema):
    """Problems of one kind: same severity, code, column and value (docs/LOADUSERS.md)."""

    count: int = Field(description="nombre de lignes")
    severity: str
    code: str
    column: str
    value: str | None = Field(
        description="la valeur en cause ; null : des valeurs différentes, une par ligne"
    )
    message: str = Field(description="le message de la première ligne du groupe")
    lines: list[int] = Field(description="les premiers numéros de ligne (5 au plus)")
    examples: list[str] = Field(description="quelques valeurs quand `value` est null")


class GeneratedAddressOut(Schema):
    line: int
    email: str
    address: str


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    addresses_generated: int = Field(
        0, description="adresses MSSanté générées pour les comptes créés sans « MSSanté adresse »"
    )
    addresses_sample: list[GeneratedAddressOut] = Field(
        default_factory=list, description="les premières adresses générées (5 au plus)"
    )
    groups: list[ProblemGroupOut] = Field(
        default_factory=list,
        description="les anomalies regroupées par type, les plus fréquentes d'abord",
    )
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


# --- Import jobs (the console's upload, previewed then confirmed) -------------------------

RECENT_JOBS = 20


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: str
    status_label: str
    phase: str
    done: int
    total: int
    percent: int
    actor: str
    notify: bool
    visible: bool
    created: int
    updated: int
    unchanged: int
    rejected: int
    error: str
    created_at: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None


class ImportJobDetailOut(ImportJobOut):
    addresses_generated: int
    addresses_sample: list[GeneratedAddressOut]
    groups: list[ProblemGroupOut]
    problems: list[dict[str, Any]]


def job_out(job: ImportJob) -> dict[str, Any]:
    phase, done, total = jobs.live_progress(job)
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "phase": phase,
        "done": done,
        "total": total,
        "percent": ImportJob.percent_of(done, total),
        "actor": job.actor_label,
        "notify": job.notify,
        "visible": job.visible,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "error": job.error,
        "created_at": job.created_at,
        "confirmed_at": job.confirmed_at,
        "finished_at": job.finished_at,
    }


def _job(request: HttpRequest, structure_id: int, job_id: int) -> ImportJob:
    structure = access_structure(api_user(request), structure_id)
    job = ImportJob.objects.filter(pk=job_id, structure=structure).first()
    if job is None:
        raise NotFound("Import introuvable.")
    return job


@router.get(
    "/structures/{structure_id}/loadusers/jobs",
    response=responses({200: list[ImportJobOut]}, 404),
    summary="Les 20 derniers imports loaduser de la structure (du plus récent au plus ancien)",
)
def list_jobs(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    recent = ImportJob.objects.filter(structure=structure).order_by("-created_at", "-pk")
    return [job_out(job) for job in recent[:RECENT_JOBS]]


@router.get(
    "/structures/{structure_id}/loadusers/jobs/{job_id}",
    response=responses({200: ImportJobDetailOut}, 404),
    summary="Un import loaduser : état, progression, compteurs, adresses générées et anomalies "
    "(regroupées par type, puis ligne par ligne)",
)
def get_job(request: HttpRequest, structure_id: int, job_id: int) -> Any:
    job = _job(request, structure_id, job_id)
    problems = job.problems
    return {
        **job_out(job),
        "addresses_generated": job.result.get("addresses_generated", 0),
        "addresses_sample": job.result.get("addresses_sample", []),
        "groups": group_problems(problems),
        "problems": problems,
    }


@router.post(
    "/structures/{structure_id}/loadusers/jobs/{job_id}/confirm",
    response=responses({202: ImportJobOut}, 403, 404),
    summary="Confirmer un import prévisualisé : l'import réel part en arrière-plan",
)
def confirm_job(request: HttpRequest, structure_id: int, job_id: int) -> Status[dict[str, Any]]:
    job = _job(request, structure_id, job_id)
    jobs.confirm(job, api_context(request))
    job.refresh_from_db()
    return Status(202, job_out(job))


@router.get(
    "/structures/{structure_id}/loadusers/jobs/{job_id}/report.{fmt}",
    response=responses({200: None}, 404),
    summary="Compte-rendu d'un import loaduser (csv ou xlsx)",
)
def job_report(request: HttpRequest, structure_id: int, job_id: int, fmt: str) -> HttpResponse:
    return report_response(_job(request, structure_id, job_id), fmt)
