"""Console pages: « Mes exports » and the download of a ready export."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from caducee.console.access import console_view, person
from caducee.console.errors import not_found
from caducee.core.errors import Invalid, NotFound
from caducee.core.web import web_context
from caducee.exports.access import access_export, exports_for
from caducee.exports.operations import open_file

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "fhir": "application/fhir+json; charset=utf-8",
    "pipe": "text/plain; charset=utf-8",
}
SHOWN = 50


@console_view
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    exports = list(
        exports_for(person(request))
        .select_related("structure")
        .order_by("-created_at", "-pk")[:SHOWN]
    )
    context = {"exports": exports, "pending": any(e.pending for e in exports)}
    if request.headers.get("HX-Request"):
        return render(request, "exports/_list.html", context)
    context["retention_days"] = settings.EXPORT_RETENTION_DAYS
    return render(request, "exports/mine.html", context)


@login_required
@require_GET
def download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """404 (the console's page) for anyone but the person who asked and the operator."""
    try:
        export = access_export(person(request), export_id)
    except NotFound as exc:
        return not_found(request, exc)
    try:
        data = open_file(web_context(request), export)
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("exports:mine")
    return FileResponse(
        data,
        as_attachment=True,
        filename=export.download_name,
        content_type=CONTENT_TYPES.get(export.format, "application/octet-stream"),
    )
