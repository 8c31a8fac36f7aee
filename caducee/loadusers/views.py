"""Console pages of the loaduser: template, upload, preview, progress, report, export.

Thin adapters behind `core.web.guarded` (login, then NotFound / Forbidden → the 404 page):
`access_structure` (404 for a structure the person does not administer), then one call to
the operations of this app. No page writes housekeeping: interrupted imports are recovered
by the scheduled job `imports_recovery` (recovery.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.core.errors import NotFound
from caducee.core.web import guarded, person, web_context
from caducee.exports.models import ExportFile
from caducee.loadusers import jobs
from caducee.loadusers.downloads import export_response, report_response, template_response
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.reading import FileRefused, max_megabytes
from caducee.loadusers.report import group_problems
from caducee.structures.access import access_structure
from caducee.structures.models import Structure

MAX_SHOWN_PROBLEMS = 1000
MAX_SHOWN_GROUPS = 100
RECENT_JOBS = 20


def _structure(request: HttpRequest, structure_id: int) -> Structure:
    return access_structure(person(request), structure_id)


def _job(structure: Structure, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, structure=structure).first()
    if job is None:
        raise NotFound("Import introuvable.")
    return job


@guarded()
@require_GET
def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    return template_response(person(request), fmt)


@guarded()
@require_GET
def export_download(request: HttpRequest, structure_id: int, fmt: str) -> HttpResponseBase:
    structure = _structure(request, structure_id)
    response = export_response(web_context(request), structure, fmt)
    if isinstance(response, ExportFile):  # a long export: a task, then « Mes exports »
        messages.info(
            request,
            "L'export est volumineux : il est préparé en arrière-plan. Téléchargez-le ici "
            "dès qu'il est prêt.",
        )
        return redirect("exports:mine")
    return response


@guarded()
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    error = ""
    notify = visible = False
    if request.method == "POST":
        notify = request.POST.get("notify") == "on"
        visible = request.POST.get("visible") == "on"
        try:
            job = jobs.start_import(
                web_context(request),
                structure,
                request.FILES.get("fichier"),
                notify=notify,
                visible=visible,
            )
        except FileRefused as exc:
            error = exc.message
        else:
            return redirect("loadusers:job", structure.pk, job.pk)
    recent = ImportJob.objects.filter(structure=structure).select_related("actor")[:RECENT_JOBS]
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
            "max_mb": max_megabytes(),
        },
        status=400 if error else 200,
    )


def _job_context(structure: Structure, job: ImportJob) -> dict[str, Any]:
    phase, done, total = jobs.live_progress(job)
    problems = job.problems
    groups = group_problems(problems)
    return {
        "structure": structure,
        "active": "users",
        "job": job,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": ImportJob.percent_of(done, total),
        "problems": problems[:MAX_SHOWN_PROBLEMS],
        "problems_total": len(problems),
        "errors_total": sum(1 for p in problems if p.get("severity") == "error"),
        "max_shown": MAX_SHOWN_PROBLEMS,
        "groups": groups[:MAX_SHOWN_GROUPS],
        "groups_total": len(groups),
        "max_groups": MAX_SHOWN_GROUPS,
        "addresses_generated": job.result.get("addresses_generated", 0),
        "addresses_sample": job.result.get("addresses_sample", []),
        "statuses": JobStatus,
    }


@guarded()
@require_GET
def job_page(request: HttpRequest, structure_id: int, job_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    job = _job(structure, job_id)
    return render(request, "loadusers/job.html", _job_context(structure, job))


@guarded()
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


@guarded()
@require_POST
def job_confirm(request: HttpRequest, structure_id: int, job_id: int) -> HttpResponse:
    structure = _structure(request, structure_id)
    job = _job(structure, job_id)
    jobs.confirm(job, web_context(request))
    return redirect("loadusers:job", structure.pk, job.pk)


@guarded()
@require_GET
def job_report(request: HttpRequest, structure_id: int, job_id: int, fmt: str) -> HttpResponse:
    structure = _structure(request, structure_id)
    return report_response(_job(structure, job_id), fmt)
