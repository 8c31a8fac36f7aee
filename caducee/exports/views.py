"""Console pages: « Mes exports » and the download of a ready export."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from caducee.core.errors import Invalid
from caducee.core.web import attachment, guarded, person, web_context
from caducee.exports.access import access_export, recent_exports
from caducee.exports.kinds import CONTENT_TYPES
from caducee.exports.operations import open_file


@guarded()
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    exports = recent_exports(person(request))
    context = {"exports": exports, "pending": any(e.pending for e in exports)}
    if request.headers.get("HX-Request"):
        return render(request, "exports/_list.html", context)
    context["retention_days"] = settings.EXPORT_RETENTION_DAYS
    return render(request, "exports/mine.html", context)


@guarded()
@require_GET
def download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """404 for anyone but the person who asked and the operator."""
    export = access_export(person(request), export_id)
    try:
        data = open_file(web_context(request), export)
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("exports:mine")
    return attachment(
        data, export.download_name, CONTENT_TYPES.get(export.format, "application/octet-stream")
    )
