"""Console pages of the loaduser: template, upload, preview, progress, report, export.

Thin adapters: `access_structure` (404 for a structure the person does not administer),
then one call to the operations of this app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.console.errors import not_found
from caducee.core.errors import Forbidden, NotFound
from caducee.core.web import web_context
from caducee.exports.kinds import ACCOUNTS
from caducee.exports.operations import in_background, request_export
from caducee.loadusers import jobs
from caducee.loadusers.exporting import export_csv, export_xlsx
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.reading import max_bytes
from caducee.loadusers.report import report_csv, report_xlsx
from caducee.loadusers.template import (
    CSV_CONTENT_TYPE,
    FORMATS,
    XLSX_CONTENT_TYPE,
    template_bytes,
)
from caducee.structures.access import access_structure, structures_for_admin
from caducee.structures.models import Structure

MAX_SHOWN_PROBLEMS = 1000


def _guarded(view: Callable[..., HttpResponseBase]) -> Any:
    """Login required; NotFound / Forbidden from access helpers become the 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, Forbidden) as exc:
            return not_found(request, exc)

    return login_required(wrapper)


def _structure(request: HttpRequest, structure_id: int) -> Structure:
    return access_structure(request.user, structure_id)  # type: ignore[arg-type]


def _job(structure: Structure, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, structure=structure).first()
    if job is None:
        raise NotFound("Import introuvable.")
    return job


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise NotFound("Format inconnu : csv ou xlsx.")


def _attachment(data: bytes, name: str, fmt: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type=CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@_guarded
@require_GET
def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    _check_format(fmt)
    if not structures_for_admin(request.user).exists():  # type: ignore[arg-type]
        raise NotFound()
    return _attachment(template_bytes(fmt), f"modele-loaduser.{fmt}", fmt)


@_guarded
@require_GET
def export_download(request: HttpRequest, structure_id: int, fmt: str) -> HttpResponseBase:
    _check_format(fmt)
    structure = _structure(request, structure_id)
    ctx = web_context(request)
    if in_background(ACCOUNTS, structure):  # a long export: a task, then « Mes exports »
        request_export(ctx, structure, ACCOUNTS.name, fmt)
        messages.info(
            request,
            "L'export est volumineux : il est préparé en arrière-plan. Téléchargez-le ici "
            "dès qu'il est prêt.",
        )
        return redirect("exports:mine")
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


@_guarded
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    jobs.recover_interrupted(structure)
    error = ""
    notify = visible = False
    if request.method == "POST":
        upload = request.FILES.get("fichier")
        notify = request.POST.get("notify") == "on"
        visible = request.POST.get("visible") == "on"
        limit = max_bytes()
        if upload is None or not upload.name:
            error = "Choisissez le fichier à importer (CSV, XLS ou XLSX)."
        elif upload.size is not None and upload.size > limit:
            error = (
                f"Le fichier fait {upload.size / 1024 / 1024:.1f} Mo : la limite est de "
                f"{limit // 1024 // 1024} Mo. Découpez-le en plusieurs fichiers."
            )
        elif not upload.size:
            error = "Le fichier est vide : utilisez le modèle loaduser et remplissez-le."
        else:
            ctx = web_context(request)
            job = jobs.create_job(
                ctx, structure, upload.read(), upload.name, notify=notify, visible=visible
            )
            jobs.start_validation(job, ctx)
            return redirect("loadusers:job", structure.pk, job.pk)
    recent = ImportJob.objects.filter(structure=structure).select_related("actor")[:20]
    return render(
        request,
        "loadusers/import.html",
        {
            "structure": structure,
            "active": "users",
            "error": error,
            "notify": notify,
            "visible": visible,
            "recent": recent,
            "max_mb": max_bytes() // 1024 // 1024,
        },
        status=400 if error else 200,
    )


def _job_context(structure: Structure, job: ImportJob) -> dict[str, Any]:
    phase, done, total = jobs.live_progress(job)
    problems = job.problems
    return {
        "structure": structure,
        "active": "users",
        "job": job,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": min(100, int(100 * done / total)) if total else 0,
        "problems": problems[:MAX_SHOWN_PROBLEMS],
        "problems_total": len(problems),
        "errors_total": sum(1 for p in problems if p.get("severity") == "error"),
        "max_shown": MAX_SHOWN_PROBLEMS,
        "statuses": JobStatus,
    }


@_guarded
@require_GET
def job_page(request: HttpRequest, structure_id: int, job_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    jobs.recover_interrupted(structure)
    job = _job(structure, job_id)
    return render(request, "loadusers/job.html", _job_context(structure, job))


@_guarded
@require_GET
def job_progress(request: HttpRequest, structure_id: int, job_id: int) -> HttpResponse:
    """Polled by htmx while the job works; asks for a full reload once it is over."""
    structure = _structure(request, structure_id)
    job = _job(structure, job_id)
    if not job.is_active:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "loadusers/_progress.html", _job_context(structure, job))


@_guarded
@require_POST
def job_confirm(request: HttpRequest, structure_id: int, job_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    job = _job(structure, job_id)
    jobs.confirm(job, web_context(request))
    return redirect("loadusers:job", structure.pk, job.pk)


@_guarded
@require_GET
def job_report(request: HttpRequest, structure_id: int, job_id: int, fmt: str) -> HttpResponse:
    _check_format(fmt)
    structure = _structure(request, structure_id)
    job = _job(structure, job_id)
    counts = {k: getattr(job, k) for k in ("created", "updated", "unchanged", "rejected")}
    data = report_csv(job.problems) if fmt == "csv" else report_xlsx(job.problems, counts)
    return _attachment(data, f"compte-rendu-import-{job.pk}.{fmt}", fmt)
