"""The loaduser's downloads as HTTP responses, built once for the console and the API.

- `template_response(user, fmt)`: the empty template, for anyone who administers a structure;
- `export_response(ctx, structure, fmt)`: the accounts of a structure, streamed, or — for a
  structure too large to export while the request waits — the background export requested
  (`ExportFile`): the console then points to « Mes exports », the API answers 202;
- `report_response(job, fmt)`: the compte-rendu of an import job (XLSX: the problems
  grouped by kind first, then one row per problem, then the totals).

Each raises NotFound for an unknown format or a structure the person does not administer.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.exports.kinds import ACCOUNTS
from caducee.exports.models import ExportFile
from caducee.exports.operations import in_background, request_export
from caducee.loadusers.exporting import export_csv, export_xlsx
from caducee.loadusers.models import ImportJob
from caducee.loadusers.report import report_csv, report_xlsx
from caducee.loadusers.template import CSV_CONTENT_TYPE, FORMATS, XLSX_CONTENT_TYPE, template_bytes
from caducee.people.models import User
from caducee.structures.access import structures_for_admin
from caducee.structures.models import Structure


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound("Format inconnu : csv ou xlsx.")
    return fmt


def content_type(fmt: str) -> str:
    return CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE


def attachment(data: bytes, name: str, fmt: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type(fmt))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def template_response(user: User, fmt: str) -> HttpResponse:
    """The empty template; only for a person who administers at least one structure."""
    check_format(fmt)
    if not structures_for_admin(user).exists():
        raise NotFound()
    return attachment(template_bytes(fmt), f"modele-loaduser.{fmt}", fmt)


def export_response(ctx: Context, structure: Structure, fmt: str) -> HttpResponseBase | ExportFile:
    """The structure's accounts as a download, or the background export requested instead.

    The structure must have been reached through `access_structure` (ownership); the
    export itself is audited by `exporting` or `request_export`.
    """
    check_format(fmt)
    if in_background(ACCOUNTS, structure):
        return request_export(ctx, structure, ACCOUNTS.name, fmt)
    name = f"utilisateurs-{structure.pk}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(export_csv(ctx, structure), content_type=content_type(fmt))
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(
        export_xlsx(ctx, structure),
        as_attachment=True,
        filename=name,
        content_type=content_type(fmt),
    )


def report_response(job: ImportJob, fmt: str) -> HttpResponse:
    """The compte-rendu of an import job (its problems, and the counts in the XLSX)."""
    check_format(fmt)
    counts = {k: getattr(job, k) for k in ("created", "updated", "unchanged", "rejected")}
    counts["addresses_generated"] = int(job.result.get("addresses_generated", 0) or 0)
    data = report_csv(job.problems) if fmt == "csv" else report_xlsx(job.problems, counts)
    return attachment(data, f"compte-rendu-import-{job.pk}.{fmt}", fmt)
